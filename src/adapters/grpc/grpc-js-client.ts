import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ChannelOptions, Client, credentials, Metadata, ServiceError, status, StatusObject } from '@grpc/grpc-js';
import { GrpcCallRequest, GrpcClient, GrpcMethod, GrpcReply, GrpcTarget } from '../../application/ports/grpc-client.port';
import { TenantHolds } from '../../domain/tenant-holds';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { checkArguments } from './proto-arguments';
import { AnyMethod, LoadedMethodDefinition, ProtoDocuments } from './proto-documents';

export interface GrpcClientSettings {
  /** Largest answer accepted, in bytes: one message, and all messages collected together (HTTP_MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  /** Most messages collected from one call (GRPC_MAX_MESSAGES). */
  maxMessages: number;
  /**
   * With CALL_DENY_PRIVATE_NETWORKS: the address to connect to for a host, or a rejection whose
   * `code` is ADDRESS_DENIED (the outbound address policy); undefined: grpc-js resolves names itself.
   */
  permittedAddress?: (host: string) => Promise<string>;
  /**
   * Most channels kept open: the least recently used one without calls running is closed to make
   * room; when every one has some, a call that needs another is refused (NETWORK, retryable).
   */
  maxChannels: number;
  /**
   * Most channels one tenant holds at once (GRPC_MAX_CHANNELS_PER_TENANT): those it opened or calls
   * through, a shared one counting for every tenant using it (see TenantHolds). A tenant that needs
   * another lets go of its least recently used idle one (closed when no other tenant holds it); when
   * it has calls running on all it holds, its call is refused (NETWORK, retryable).
   */
  maxChannelsPerTenant: number;
  /**
   * The certificate authorities TLS channels trust, PEM (GRPC_CA_FILE added to the system's roots);
   * undefined: the system's roots alone.
   */
  rootCertificates?: Buffer;
}

/** NODE_EXTRA_CA_CERTS, which Node adds to its default roots (and, like Node, skips when it cannot be read). */
function nodeExtraCertificates(): string[] {
  const file = process.env['NODE_EXTRA_CA_CERTS'];
  if (file === undefined || file === '') return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

/**
 * The roots TLS channels trust with GRPC_CA_FILE: the system's (Node's bundled roots and
 * NODE_EXTRA_CA_CERTS, which grpc-js would use alone) and the file's certificates. Read once at
 * start; a file that cannot be read or holds no certificate stops the start with its reason.
 */
export function trustedRoots(caFile: string): Buffer {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw errors.configuration(`GRPC_CA_FILE ${caFile} cannot be read: ${(error as Error).message}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw errors.configuration(`GRPC_CA_FILE ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return Buffer.from([...rootCertificates, ...nodeExtraCertificates(), pem].join('\n'), 'utf8');
}

class LoadedMethod implements GrpcMethod {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly definition: LoadedMethodDefinition,
  ) {}
  get responses(): 'one' | 'many' {
    return this.definition.responseStream ? 'many' : 'one';
  }
}

function communicationError(detail: string, code: 'NETWORK' | 'RESPONSE_TOO_LARGE' | 'ADDRESS_DENIED', retryable: boolean, cause?: unknown): WorkflowError {
  return new WorkflowError({ kind: 'communication', code, title: 'Communication Failed', detail, status: code === 'NETWORK' ? 503 : 502, retryable, cause });
}

function responseTooLarge(maxBytes: number): WorkflowError {
  return communicationError(`response body exceeds the limit of ${maxBytes} bytes`, 'RESPONSE_TOO_LARGE', false);
}

/**
 * The grpc-js target with its naming scheme spelled out, so that a host name can never be read as
 * another scheme (`unix:`, `vsock:`…).
 */
function channelTarget(host: string, port: number): string {
  const family = isIP(host);
  if (family === 4) return `ipv4:${host}:${port}`;
  if (family === 6) return `ipv6:[${host}]:${port}`;
  return `dns:${host}:${port}`;
}

function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Transport headers every answer has (or varies by the second): not the service's metadata. */
const TRANSPORT_HEADERS = new Set(['content-type', 'date']);

function metadataOf(...sets: Metadata[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const set of sets) {
    for (const [name, values] of Object.entries(set.toJSON())) {
      if (TRANSPORT_HEADERS.has(name)) continue;
      const texts = values.filter((v): v is string => typeof v === 'string');
      if (texts.length > 0) (out[name] ??= []).push(...texts);
    }
  }
  return out;
}

/** The library's own refusal of a large message (RESOURCE_EXHAUSTED) is the response limit, not the service's. */
function tooLarge(object: StatusObject, maxBytes: number): WorkflowError | undefined {
  return object.code === status.RESOURCE_EXHAUSTED && /larger than max/i.test(object.details) ? responseTooLarge(maxBytes) : undefined;
}

/**
 * The GrpcClient port on @grpc/grpc-js: one generic client (a channel) per target, reused across
 * calls and tenants like HTTP keep-alive pools; with the private-network policy on, the host name is
 * resolved here and the channel connects to the checked address (the name kept for TLS and
 * `:authority`), so a DNS answer cannot change between the check and the connection.
 */
export class GrpcJsClient implements GrpcClient {
  private readonly channels = new Map<string, Client>();
  /** The tenants holding each channel key, and the calls running on it. */
  private readonly holds: TenantHolds;
  private closed = false;

  constructor(
    private readonly documents: ProtoDocuments,
    private readonly settings: GrpcClientSettings,
  ) {
    this.holds = new TenantHolds(settings.maxChannelsPerTenant);
  }

  async method(tenant: string, proto: string, service: string, method: string, timeoutMs: number, signal?: AbortSignal): Promise<GrpcMethod> {
    return new LoadedMethod(service, method, await this.documents.method(tenant, proto, service, method, timeoutMs, signal));
  }

  async call(method: GrpcMethod, request: GrpcCallRequest): Promise<GrpcReply> {
    if (!(method instanceof LoadedMethod)) throw errors.runtime('grpc call: the method was not loaded by this client');
    if (request.signal?.aborted) throw this.cancelled(request.signal);
    const definition = method.definition;
    checkArguments(definition.requestMessage, request.message, `grpc call: ${method.service}/${method.method}`);
    try {
      definition.requestSerialize(request.message);
    } catch (error) {
      throw errors.configuration(`grpc call: with.arguments do not fit ${method.service}/${method.method}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(request.metadata)) {
      try {
        metadata.set(name, value);
      } catch (error) {
        throw errors.configuration(`grpc call: metadata ${name} not allowed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const { client, key } = await this.channel(request.tenant, request.target);
    try {
      const options = { deadline: Date.now() + request.timeoutMs };
      return await (definition.responseStream ? this.collect(client, definition, request, metadata, options) : this.unary(client, definition, request, metadata, options));
    } finally {
      this.holds.end(request.tenant, key);
    }
  }

  private unary(client: Client, definition: AnyMethod, request: GrpcCallRequest, metadata: Metadata, options: { deadline: number }): Promise<GrpcReply> {
    return new Promise((resolve, reject) => {
      let headers = new Metadata();
      const call = client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request.message, metadata, options, (error: ServiceError | null, value: unknown) => {
        request.signal?.removeEventListener('abort', abort);
        if (request.signal?.aborted) return reject(this.cancelled(request.signal));
        if (error) {
          const limit = tooLarge(error, this.settings.maxResponseBytes);
          if (limit) return reject(limit);
          return resolve({ code: error.code, details: error.details, messages: [], metadata: metadataOf(headers, error.metadata ?? new Metadata()) });
        }
        resolve({ code: status.OK, details: '', messages: [value], metadata: metadataOf(headers) });
      });
      call.on('metadata', (m: Metadata) => (headers = m));
      const abort = (): void => call.cancel();
      request.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private collect(client: Client, definition: AnyMethod, request: GrpcCallRequest, metadata: Metadata, options: { deadline: number }): Promise<GrpcReply> {
    const { maxMessages, maxResponseBytes } = this.settings;
    return new Promise((resolve, reject) => {
      const messages: unknown[] = [];
      let bytes = 0;
      let refusal: WorkflowError | undefined;
      let headers = new Metadata();
      const call = client.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request.message, metadata, options);
      const abort = (): void => call.cancel();
      request.signal?.addEventListener('abort', abort, { once: true });
      call.on('metadata', (m: Metadata) => (headers = m));
      call.on('data', (message: unknown) => {
        if (refusal) return;
        bytes += JSON.stringify(message).length;
        messages.push(message);
        if (messages.length > maxMessages) refusal = communicationError(`grpc call: the answer has more than ${maxMessages} messages (GRPC_MAX_MESSAGES)`, 'RESPONSE_TOO_LARGE', false);
        else if (bytes > maxResponseBytes) refusal = responseTooLarge(maxResponseBytes);
        if (refusal) call.cancel();
      });
      // The status ends every call; 'error' repeats a failed one.
      call.on('error', () => undefined);
      call.on('status', (end: StatusObject) => {
        request.signal?.removeEventListener('abort', abort);
        if (refusal) return reject(refusal);
        if (request.signal?.aborted) return reject(this.cancelled(request.signal));
        const limit = tooLarge(end, maxResponseBytes);
        if (limit) return reject(limit);
        resolve({ code: end.code, details: end.code === status.OK ? '' : end.details, messages: end.code === status.OK ? messages : [], metadata: metadataOf(headers, end.metadata) });
      });
    });
  }

  private cancelled(signal: AbortSignal): WorkflowError {
    const reason: unknown = signal.reason;
    return isWorkflowError(reason) ? reason : errors.cancelled('gRPC call cancelled');
  }

  /**
   * The channel to `target`, opened on first use, with one more call counted in flight on it (the
   * caller ends it); the address policy is checked on every call.
   */
  private async channel(tenant: string, target: GrpcTarget): Promise<{ client: Client; key: string }> {
    if (this.closed) throw errors.runtime('grpc call: the client is closed');
    const authority = hostPort(target.host, target.port);
    const permitted = this.settings.permittedAddress;
    const address = channelTarget(permitted ? await this.checkedAddress(target.host, permitted) : target.host, target.port);
    const key = `${address}|${authority}|${target.tls}`;
    // The tenant's share first: it lets go of its least recently used idle channel, or is refused when all it holds are busy.
    const unheld = this.holds.begin(tenant, key);
    if (!unheld) {
      throw communicationError(`grpc call: tenant ${tenant} has calls running on all ${this.holds.perTenant} channels one tenant may hold (GRPC_MAX_CHANNELS_PER_TENANT); try again later`, 'NETWORK', true);
    }
    for (const released of unheld) this.drop(released);
    const open = this.channels.get(key);
    if (open) {
      // Most recently used last: the channel closed when there are too many is the one least used.
      this.channels.delete(key);
      this.channels.set(key, open);
      return { client: open, key };
    }
    // Room for one more: the least recently used channel without calls running is closed; when every one has some, the call is refused.
    while (this.channels.size >= this.settings.maxChannels) {
      const idle = [...this.channels.keys()].find((k) => !this.holds.busy(k));
      if (idle === undefined) {
        this.holds.end(tenant, key);
        if (!this.holds.busy(key)) this.holds.forget(key);
        throw communicationError(`grpc call: all ${this.settings.maxChannels} channels (the most kept open) have calls running; try again later`, 'NETWORK', true);
      }
      this.drop(idle);
      this.holds.forget(idle);
    }
    const options: ChannelOptions = { 'grpc.max_receive_message_length': this.settings.maxResponseBytes, 'grpc.default_authority': authority };
    if (target.tls && permitted) options['grpc.ssl_target_name_override'] = target.host;
    const client = new Client(address, target.tls ? credentials.createSsl(this.settings.rootCertificates ?? null) : credentials.createInsecure(), options);
    this.channels.set(key, client);
    return { client, key };
  }

  /** Closes the channel of `key`, when there is one. */
  private drop(key: string): void {
    this.channels.get(key)?.close();
    this.channels.delete(key);
  }

  /** The address the policy permits for `host`: ADDRESS_DENIED, or NETWORK when the name does not resolve. */
  private async checkedAddress(host: string, permitted: (host: string) => Promise<string>): Promise<string> {
    try {
      return await permitted(host);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if ((error as { code?: unknown } | null)?.code === 'ADDRESS_DENIED') throw communicationError(message, 'ADDRESS_DENIED', false, error);
      throw communicationError(`grpc call: cannot resolve ${host}: ${message}`, 'NETWORK', true, error);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    return Promise.resolve();
  }
}
