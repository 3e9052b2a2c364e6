import path from 'node:path';
import { Metadata, sendUnaryData, Server, ServerCredentials, ServerUnaryCall, ServerWritableStream, ServiceDefinition, status, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The directory of the test `.proto` documents (greeter.proto imports common.proto). */
export const PROTO_DIR = path.join(__dirname, 'grpc');

interface HelloRequest {
  person?: { name?: string; id?: string; mood?: string };
}

/** What the server saw of one call. */
export interface SeenCall {
  method: string;
  metadata: Record<string, string>;
}

/**
 * A real @grpc/grpc-js server on 127.0.0.1 (a free port) serving flunq.test.Greeter from
 * greeter.proto. Calls to a person named "slow" are held until `release()`.
 */
export class GreeterServer {
  readonly seen: SeenCall[] = [];
  private readonly server = new Server();
  private readonly held: Array<() => void> = [];
  port = 0;

  /** Listens on a free port of 127.0.0.1: plain text, or TLS with `tls`'s key and certificate chain. */
  async start(tls?: { key: Buffer; certChain: Buffer }): Promise<void> {
    const definition = loadSync(path.join(PROTO_DIR, 'greeter.proto'), { keepCase: true, longs: String, enums: String, defaults: true, includeDirs: [PROTO_DIR] });
    const service = definition['flunq.test.Greeter'] as ServiceDefinition;
    const implementation: UntypedServiceImplementation = {
      SayHello: (call: ServerUnaryCall<HelloRequest, unknown>, callback: sendUnaryData<unknown>) => this.sayHello(call, callback),
      CountTo: (call: ServerWritableStream<{ to: number }, unknown>) => this.countTo(call),
      Collect: (_call: unknown, callback: sendUnaryData<unknown>) => callback(null, {}),
    };
    this.server.addService(service, implementation);
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', tls ? ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.certChain }], false) : ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
  }

  private record(method: string, metadata: Metadata): Record<string, string> {
    const map: Record<string, string> = {};
    for (const [name, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') map[name] = value;
    this.seen.push({ method, metadata: map });
    return map;
  }

  private sayHello(call: ServerUnaryCall<HelloRequest, unknown>, callback: sendUnaryData<unknown>): void {
    const metadata = this.record('SayHello', call.metadata);
    const person = call.request.person ?? {};
    if (!person.name) return callback({ code: status.INVALID_ARGUMENT, details: 'person.name is required' });
    const answer = (): void =>
      callback(null, { message: `Hello, ${person.name}`, id: person.id ?? '0', mood: person.mood ?? 'MOOD_UNSPECIFIED', authorization: metadata['authorization'] ?? '', traceparent: metadata['traceparent'] ?? '', tenant: metadata['x-tenant'] ?? '', email: `${(person.name ?? "").toLowerCase()}@example.test`, badge: Buffer.from('hi') });
    if (person.name === 'slow') this.held.push(answer);
    else answer();
  }

  private countTo(call: ServerWritableStream<{ to: number }, unknown>): void {
    this.record('CountTo', call.metadata);
    for (let n = 1; n <= call.request.to; n++) call.write({ n });
    call.end();
  }

  /** Answers the held calls (their callers may have gone). */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async stop(): Promise<void> {
    this.release();
    this.server.forceShutdown();
    return Promise.resolve();
  }
}
