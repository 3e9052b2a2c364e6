import { JsonObject } from '../../../domain/json';
import { CallHost } from '../../../domain/rate-limit';
import { isSensitiveName } from '../../../domain/redaction';
import { isWorkflowError } from '../../../domain/workflow-error';
import { Clock } from '../../ports/clock.port';
import { HttpResponse } from '../../ports/http-client.port';
import { Metrics } from '../../ports/metrics.port';
import { RateLimiter } from '../../ports/rate-limiter.port';
import { TaskContext } from '../../ports/task-handler.port';
import { Secrets } from './authentication';
import { AuditLine, auditBody, auditUrl, CallAuditSettings, DEFAULT_CALL_AUDIT } from './call-audit';
import { bucketsFor, CallRateLimits, CallRateLimitSettings, DEFAULT_CALL_RATE_LIMITS, parseTaskRateLimit, TaskRateLimit } from './call-rate-limits';

/** How an answer reads for the rate limits and the audit line. */
export interface CallAnswer {
  /** An HTTP status, a gRPC status name, `ok` for a published message. */
  status: number | string;
  /** The downstream asks to slow down (HTTP 429, gRPC RESOURCE_EXHAUSTED). */
  throttled: boolean;
  /** The downstream is unavailable (HTTP 503): slows the host only when it says until when. */
  unavailable: boolean;
  /** The `Retry-After` header as sent. */
  retryAfter: string | undefined;
  body?: string | Uint8Array;
}

/** One outbound call as its protocol describes it, before it is sent. */
export interface OutboundCall<T> {
  /** `http`, `openapi`, `graphql`, `grpc`, `asyncapi`. */
  protocol: string;
  /** The HTTP method, or what the protocol does (`call` for gRPC, `publish` / `request` for messages). */
  method: string;
  /** The target as a URL (credentials may be in it: the audit line redacts it). */
  url: string;
  /** The host the rate limits match; absent: the host and port of `url` (read only when the gate is engaged). */
  host?: CallHost;
  /** What `per: operation` shares within the host: an operationId, a method and path, a gRPC method. */
  operation: string;
  /**
   * The request body, or what makes it (called only when the audit log shows bodies). A streamed
   * body (files read while they are sent) is never read for the audit: the line says it streamed.
   */
  requestBody?: string | Uint8Array | AsyncIterable<Uint8Array> | (() => string | Uint8Array | undefined);
  /**
   * The request's headers, for the audit line's redaction only (headers are never written): the
   * values under sensitive names (Authorization, X-Api-Key, Cookie…) are blanked out of the bodies.
   */
  headers?: Readonly<Record<string, string>>;
  /** Reads the answer; absent: the call has no status of its own (a published message). */
  answer?(result: T): CallAnswer;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** A URL's host as rate limits see it: the name in lower case and the port (the scheme's default when none, for HTTP; else 0). */
export function callHostOf(url: string): CallHost {
  try {
    const parsed = new URL(url);
    const port = parsed.port !== '' ? Number(parsed.port) : (DEFAULT_PORTS[parsed.protocol] ?? 0);
    return { name: parsed.hostname.toLowerCase(), port };
  } catch {
    return { name: 'invalid', port: 0 };
  }
}

/** `host:port` as gRPC and brokers name a target. */
export function callHostOfAddress(address: string, defaultPort: number): CallHost {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { name: `[${(bracketed[1] ?? '').toLowerCase()}]`, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const colon = address.lastIndexOf(':');
  if (colon > 0 && address.indexOf(':') === colon && /^\d+$/.test(address.slice(colon + 1))) return { name: address.slice(0, colon).toLowerCase(), port: Number(address.slice(colon + 1)) };
  return { name: address.toLowerCase(), port: defaultPort };
}

/** The values of the headers with sensitive names, and the credentials after an auth scheme (`Bearer x` → `x`). */
function sensitiveHeaderValues(headers: Readonly<Record<string, string>> | undefined, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!isSensitiveName(name, names)) continue;
    out.push(value);
    const space = value.indexOf(' ');
    if (space > 0) out.push(value.slice(space + 1).trim());
  }
  return out;
}

/** An HTTP response as a CallAnswer. */
export function httpAnswer(response: HttpResponse): CallAnswer {
  return { status: response.status, throttled: response.status === 429, unavailable: response.status === 503, retryAfter: response.headers['retry-after']?.[0], body: response.body };
}

/**
 * Every outbound call of a call task passes here on its way out: the task's and the operator's rate
 * limits (docs/call-rate-limits.md), then the call, then the downstream's push-back and the audit
 * line. The call handler gives each protocol this gate through `ProtocolCall.send`.
 */
export class OutboundCalls {
  private readonly limits: CallRateLimits;
  /** Each run's `rate_limit` (set by `prepare`), by its context: inner tasks of a `try` have their own. */
  private readonly taskLimits = new WeakMap<TaskContext, TaskRateLimit>();
  /** Operator limits or the audit log are on: every call passes the gate. */
  private readonly active: boolean;

  constructor(
    limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly settings: { limits: CallRateLimitSettings; audit: CallAuditSettings } = { limits: DEFAULT_CALL_RATE_LIMITS, audit: DEFAULT_CALL_AUDIT },
    metrics?: Metrics,
    /** The trace id of the current task's span, when tracing is on. */
    private readonly traceId: () => string | undefined = () => undefined,
  ) {
    this.limits = new CallRateLimits(limiter, clock, settings.limits, metrics);
    this.active = settings.limits.rules.length > 0 || settings.audit.enabled;
  }

  /**
   * Whether calls of this run need the gate at all: a rate limit is configured or asked for, or the
   * audit log is on. Otherwise callers send directly, at no cost per call.
   */
  engaged(context: TaskContext): boolean {
    return this.active || this.taskLimits.has(context);
  }

  /** Reads the call's `rate_limit`, for the calls this run makes. Throws a `configuration` WorkflowError for a bad one. */
  prepare(context: TaskContext, parameters: JsonObject): void {
    const limit = parseTaskRateLimit(parameters['rate_limit']);
    if (limit) this.taskLimits.set(context, limit);
    else this.taskLimits.delete(context);
  }

  /**
   * Waits for the call's rate-limit slots (within the task's deadline), runs `send`, slows the
   * host's buckets when the answer asks for it, and writes the audit line. Throws what `send`
   * throws, or RATE_LIMITED when no slot comes in time.
   */
  async send<T>(context: TaskContext, call: OutboundCall<T>, secrets: Secrets, send: () => Promise<T>): Promise<T> {
    const host = call.host ?? callHostOf(call.url);
    const used = bucketsFor(this.settings.limits.rules, { tenant: context.request.tenantId, host, operation: call.operation }, this.taskLimits.get(context));
    let waited = 0;
    let started = this.clock.now();
    let result: T;
    try {
      if (used.length > 0) {
        waited = await this.limits.acquire(used, host, context.deadline, context.signal);
        started = this.clock.now();
      }
      result = await send();
    } catch (error) {
      this.audit(context, call, secrets, started, waited, { error: isWorkflowError(error) ? error.code : 'INTERNAL' }, undefined);
      throw error;
    }
    const answer = call.answer?.(result);
    this.audit(context, call, secrets, started, waited, answer ? { status: answer.status } : { status: 'ok' }, answer?.body);
    if (answer && used.length > 0) await this.limits.pushBack(used, answer, context.logger);
    return result;
  }

  /**
   * Runs `send` and writes its audit line (when the audit log is on), without the rate limits: for
   * the requests a call makes on the side, such as OAuth2 token requests (a cached token serves many
   * calls, so they are no call of their own to limit). Throws what `send` throws.
   */
  async audited<T>(context: TaskContext, call: OutboundCall<T>, secrets: Secrets, send: () => Promise<T>): Promise<T> {
    const started = this.clock.now();
    let result: T;
    try {
      result = await send();
    } catch (error) {
      this.audit(context, call, secrets, started, 0, { error: isWorkflowError(error) ? error.code : 'INTERNAL' }, undefined);
      throw error;
    }
    const answer = call.answer?.(result);
    this.audit(context, call, secrets, started, 0, answer ? { status: answer.status } : { status: 'ok' }, answer?.body);
    return result;
  }

  private audit(context: TaskContext, call: OutboundCall<unknown>, secrets: Secrets, started: number, waited: number, result: { status?: number | string; error?: string }, responseBody: string | Uint8Array | undefined): void {
    const { enabled, bodies, maxBodyBytes } = this.settings.audit;
    if (!enabled) return;
    const { request } = context;
    const line: AuditLine = {
      audit: 'outbound_call',
      protocol: call.protocol,
      method: call.method,
      url: auditUrl(call.url, secrets),
      ...result,
      durationMs: this.clock.now() - started,
      taskId: request.taskId,
      workflowId: request.workflowId,
    };
    if (waited > 0) line.rateLimitWaitMs = waited;
    const traceId = this.traceId();
    if (traceId !== undefined) line.traceId = traceId;
    if (bodies) {
      const hidden = { names: secrets.names, values: [...secrets.values, ...sensitiveHeaderValues(call.headers, secrets.names)] };
      const body = typeof call.requestBody === 'function' ? call.requestBody() : call.requestBody;
      const requestBody = isStreamed(body) ? STREAMED_BODY : auditBody(body, hidden, maxBodyBytes);
      if (requestBody !== undefined) line.requestBody = requestBody;
      const answerBody = auditBody(responseBody, hidden, maxBodyBytes);
      if (answerBody !== undefined) line.responseBody = answerBody;
    }
    context.logger.info('outbound call', line);
  }
}

/** What an audit line shows for a body streamed from files: it is never read a second time. */
export const STREAMED_BODY = '(streamed body: multipart or binary content, not logged)';

function isStreamed(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}
