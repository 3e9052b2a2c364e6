import { GrpcCallRequest, GrpcClient, GrpcMethod, GrpcReply } from '../../src/application/ports/grpc-client.port';
import { errors } from '../../src/domain/workflow-error';

/** A call the fake peer received. */
export interface FakeGrpcCall {
  tenant: string;
  proto: string;
  service: string;
  method: string;
  request: GrpcCallRequest;
}

/** What a fake method answers: a reply, or a function of the request. */
export type FakeAnswer = Partial<GrpcReply> | ((request: GrpcCallRequest) => Partial<GrpcReply>);

interface FakeMethod {
  responses: 'one' | 'many';
  answers: FakeAnswer[];
}

/**
 * A GrpcClient with scripted methods (a fake peer for the memory profile): `proto`, `service` and
 * `method` name what the task must ask for; answers are given in turn (the last one repeats).
 */
export class FakeGrpcClient implements GrpcClient {
  readonly calls: FakeGrpcCall[] = [];
  private readonly methods = new Map<string, FakeMethod>();

  answer(service: string, method: string, answers: FakeAnswer[], responses: 'one' | 'many' = 'one'): this {
    this.methods.set(`${service}/${method}`, { responses, answers: [...answers] });
    return this;
  }

  method(tenant: string, proto: string, service: string, method: string): Promise<GrpcMethod> {
    const found = this.methods.get(`${service}/${method}`);
    if (!found) return Promise.reject(errors.configuration(`grpc call: method ${method} not found in service ${service} (methods: ${[...this.methods.keys()].join(', ')})`));
    const loaded: GrpcMethod & { tenant: string; proto: string } = { service, method, responses: found.responses, tenant, proto };
    return Promise.resolve(loaded);
  }

  call(method: GrpcMethod, request: GrpcCallRequest): Promise<GrpcReply> {
    const found = this.methods.get(`${method.service}/${method.method}`);
    if (!found) return Promise.reject(new Error('unknown method'));
    const { tenant, proto } = method as GrpcMethod & { tenant: string; proto: string };
    this.calls.push({ tenant, proto, service: method.service, method: method.method, request });
    const next = found.answers.length > 1 ? found.answers.shift() : found.answers[0];
    const partial = typeof next === 'function' ? next(request) : (next ?? {});
    return Promise.resolve({ code: 0, details: '', messages: [], metadata: {}, ...partial });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
