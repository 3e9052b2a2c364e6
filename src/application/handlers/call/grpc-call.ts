import { isPlainObject, JsonObject } from '../../../domain/json';
import { jsonValueTooDeep } from '../../../domain/json-limits';
import { errors, WorkflowError } from '../../../domain/workflow-error';
import { CircuitBreaker } from '../../ports/circuit-breaker.port';
import { Clock } from '../../ports/clock.port';
import { GrpcClient, GrpcReply } from '../../ports/grpc-client.port';
import { CallFailure, CallProtocol, ProtocolCall } from './call-protocol';
import { grpcAuthentication, parseGrpcCall } from './grpc-call-config';
import { callHostOfAddress, OutboundCall } from './outbound-calls';
import { grpcStatusError, grpcStatusMeaning } from './grpc-status';

export interface GrpcCallSettings {
  /** Deepest nesting accepted in an answer (EXECUTOR_MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
}

const RESOURCE_EXHAUSTED = 8;

/** `host:port`, IPv6 literals in brackets: the circuit's scope and the target the outcome names. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * `call: grpc` (docs/call-grpc.md): one call of a unary method, or of a method whose server answers
 * with several messages (collected into an array). The method is found in the task's `.proto`
 * document before anything is sent; authentication becomes request metadata; the call goes through
 * the circuit of (tenant, host:port), where only statuses that say the service is failing count.
 * A status other than OK fails the task with `{status, code, details, metadata}` as its output.
 */
export class GrpcCallProtocol implements CallProtocol {
  readonly callType = 'grpc';

  constructor(
    private readonly client: GrpcClient,
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
    private readonly settings: GrpcCallSettings = {},
  ) {}

  describe(parameters: JsonObject): JsonObject {
    const out: JsonObject = { call_type: 'grpc' };
    for (const key of ['proto', 'service', 'method', 'arguments', 'metadata']) if (parameters[key] !== undefined) out[key] = parameters[key];
    const service = parameters['service'];
    if (isPlainObject(service) && service['authentication'] !== undefined) {
      const { authentication: _a, ...rest } = service;
      out['service'] = rest;
    }
    return out;
  }

  authenticationOf(parameters: JsonObject): unknown {
    return grpcAuthentication(parameters);
  }

  async call(call: ProtocolCall): Promise<unknown> {
    const config = parseGrpcCall(call.parameters);
    if (call.authentication?.kind === 'apikey' && call.authentication.location === 'query') {
      throw errors.configuration('grpc call: an API key in the query is not supported (use `in: header`)');
    }
    const { context } = call;
    const tenant = context.request.tenantId;
    const method = await this.client.method(tenant, config.proto, config.service, config.method, call.timeoutMs, context.signal);
    const address = hostPort(config.target.host, config.target.port);
    const auth = { url: `http://${address}/${config.service}/${config.method}`, headers: { ...config.metadata } };
    await call.authenticate(auth);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(auth.headers)) metadata[name.toLowerCase()] = value;

    const request = { tenant, target: config.target, message: config.arguments, metadata, timeoutMs: Math.max(1, context.deadline - this.clock.now()), signal: context.signal };
    // One circuit per tenant and host:port, as for HTTP; a refused request (INVALID_ARGUMENT…) is not the service failing.
    const outbound: OutboundCall<GrpcReply> = {
      protocol: 'grpc',
      method: 'call',
      url: `grpc://${address}/${config.service}/${config.method}`,
      host: callHostOfAddress(address, config.target.port),
      operation: `${config.service}/${config.method}`,
      // For CALL_AUDIT_BODIES: the arguments as JSON; the metadata only to redact its secrets from the line.
      requestBody: () => JSON.stringify(config.arguments),
      headers: metadata,
      // RESOURCE_EXHAUSTED is gRPC's 429 (the server's quota or rate limit).
      answer: (r) => ({ status: grpcStatusMeaning(r.code).name, throttled: r.code === RESOURCE_EXHAUSTED, unavailable: false, retryAfter: undefined }),
    };
    const reply = await call.send(outbound, () => {
      // After a rate-limit wait, only what is left of the deadline.
      request.timeoutMs = Math.max(1, context.deadline - this.clock.now());
      return this.breaker.run({ tenant, host: address }, () => this.client.call(method, request), (r) => grpcStatusMeaning(r.code).breaksCircuit);
    });
    const data = { task_type: 'call', call_type: 'grpc', service: config.service, method: config.method, target: address };
    if (reply.code !== 0) {
      const error = grpcStatusError(reply.code, reply.details, data);
      throw new CallFailure(error, { status: grpcStatusMeaning(reply.code).name, code: reply.code, details: reply.details, metadata: reply.metadata });
    }
    const output = method.responses === 'many' ? reply.messages : (reply.messages[0] ?? {});
    const limit = this.settings.maxJsonDepth;
    if (limit !== undefined && jsonValueTooDeep(output, limit)) throw tooDeep(limit);
    return isPlainObject(output) || Array.isArray(output) ? output : {};
  }
}

function tooDeep(limit: number): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_DEEP', title: 'Response Too Deeply Nested', detail: `the gRPC answer nests deeper than ${limit} levels of arrays and objects`, status: 502, retryable: false, data: { limit } });
}
