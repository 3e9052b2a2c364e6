import { JsonObject } from '../../../../domain/json';
import { redactUrl } from '../../../../domain/redaction';
import { errors, WorkflowError } from '../../../../domain/workflow-error';
import { AsyncApiDocuments, AsyncApiMessage } from '../../../ports/asyncapi-documents.port';
import { CircuitBreaker } from '../../../ports/circuit-breaker.port';
import { Clock } from '../../../ports/clock.port';
import { BrokerTarget, MessageBrokers, PayloadValidator, SchemaViolation } from '../../../ports/message-brokers.port';
import { Authentication } from '../authentication';
import { CallProtocol, ProtocolCall } from '../call-protocol';
import { AsyncApiCallConfig, parseAsyncApiCall } from './asyncapi-call-config';
import { AsyncApiTarget, resolveTarget } from './asyncapi-target';
import { callHostOfAddress } from '../outbound-calls';

function withStage(stage: string) {
  return (error: unknown): never => {
    if (error instanceof WorkflowError) throw error.with({ detail: `asyncapi call failed: ${stage}: ${error.detail}`, cause: error });
    throw error;
  };
}

/** The task's authentication as broker credentials: basic is a user and password, bearer a token. */
function credentialsOf(auth: Authentication | undefined): Pick<BrokerTarget, 'username' | 'password' | 'token'> {
  if (auth === undefined) return {};
  if (auth.kind === 'basic') return { username: auth.username, password: auth.password };
  if (auth.kind === 'bearer') return { token: auth.token };
  throw errors.configuration(`asyncapi call failed: ${auth.kind} authentication is not supported (basic or bearer)`);
}

function describeViolations(part: string, message: AsyncApiMessage, violations: readonly SchemaViolation[]): string {
  const shown = violations.slice(0, 3).map((v) => `${part} ${v.pointer === '' ? '(root)' : v.pointer}: ${v.message} (${v.rule})`);
  const more = violations.length > 3 ? ` and ${violations.length - 3} more` : '';
  return `message does not match '${message.name}': ${shown.join('; ')}${more}`;
}

/**
 * `call: asyncapi`: publishes a message to an AsyncAPI 3.0 operation's or 2.6 channel's address on
 * one of the document's servers, and, when the task subscribes or the operation declares a reply,
 * waits for the correlated reply within the task's deadline. The payload and headers are checked
 * against the document's schemas first; the exchange runs in the circuit of the tenant and broker.
 */
export class AsyncApiCallProtocol implements CallProtocol {
  readonly callType = 'asyncapi';

  constructor(
    private readonly documents: AsyncApiDocuments,
    private readonly brokers: MessageBrokers,
    private readonly validator: PayloadValidator,
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
  ) {}

  describe(parameters: JsonObject): JsonObject {
    const out: JsonObject = { call_type: 'asyncapi' };
    const document = parameters['document'];
    const endpoint = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as JsonObject)['endpoint'] : document;
    if (typeof endpoint === 'string') out['document'] = { endpoint: redactUrl(endpoint) };
    for (const key of ['operation', 'channel', 'server', 'protocol', 'message', 'subscription']) {
      if (parameters[key] !== undefined) out[key] = parameters[key];
    }
    return out;
  }

  async call(call: ProtocolCall): Promise<unknown> {
    const config = parseAsyncApiCall(call.parameters);
    const credentials = credentialsOf(call.authentication);
    const { context } = call;
    const model = await this.documents.load(context.request.tenantId, config.documentUrl, context.signal).catch(withStage('failed to load document'));
    const target = resolveTarget(model, config, this.brokers.protocols());
    this.check(target, config);
    const broker: BrokerTarget = { protocol: target.server.protocol, host: target.host, ...credentials };
    const message = { address: target.address, payload: config.message.payload, headers: config.message.headers };
    // After a rate-limit wait, only what is left of the deadline: computed as the message is sent.
    const options = (): { tenant: string; timeoutMs: number; signal: AbortSignal } => ({ tenant: context.request.tenantId, timeoutMs: Math.max(1, context.deadline - this.clock.now()), signal: context.signal });
    // One circuit per tenant and broker, as for HTTP hosts; refused configurations never count.
    const scope = { tenant: context.request.tenantId, host: target.host };
    // A server without a port is at its protocol's default port (the brokers know it): `rabbit` and `rabbit:5672` are one host to rate limits and the audit.
    const host = callHostOfAddress(target.host, this.brokers.defaultPort(target.server.protocol) ?? 0);
    const outbound = { protocol: 'asyncapi', url: `${target.server.protocol}://${target.host}/${target.address}`, host, operation: target.address, requestBody: () => JSON.stringify(config.message.payload) };
    if (target.reply) {
      const reply = target.reply;
      const received = await call.send({ ...outbound, method: 'request' }, () => this.breaker.run(scope, () => this.brokers.request(broker, message, { ...options(), replyAddress: reply.address }), () => false));
      return { message: { payload: received.payload, headers: received.headers } };
    }
    await call.send({ ...outbound, method: 'publish' }, () => this.breaker.run(scope, () => this.brokers.publish(broker, message, options()), () => false));
    return { published: this.published(config, target) };
  }

  private published(config: AsyncApiCallConfig, target: AsyncApiTarget): JsonObject {
    const out: JsonObject = config.operation === undefined ? { channel: target.name } : { operation: target.name };
    return { ...out, server: target.server.name, protocol: target.server.protocol, address: target.address };
  }

  /** The payload (and headers) must match one of the messages the document allows, when it gives schemas. */
  private check(target: AsyncApiTarget, config: AsyncApiCallConfig): void {
    const typed = target.messages.filter((m) => m.payload !== undefined || m.headers !== undefined);
    if (typed.length === 0) return;
    let first: string | undefined;
    for (const message of typed) {
      const violations = message.payload ? this.validator.validate(message.payload, config.message.payload) : [];
      const headerViolations = message.headers ? this.validator.validate(message.headers, config.message.headers) : [];
      if (violations.length === 0 && headerViolations.length === 0) return;
      first ??= violations.length > 0 ? describeViolations('payload', message, violations) : describeViolations('headers', message, headerViolations);
    }
    const data = { messages: typed.map((m) => m.name) };
    throw new WorkflowError({ kind: 'validation', code: 'MESSAGE_INVALID', title: 'Validation Failed', detail: `asyncapi call failed: ${first ?? 'message does not match'}`, data });
  }
}
