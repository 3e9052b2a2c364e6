import { isSensitiveName } from '../../../domain/redaction';
import { httpStatusError } from '../../../domain/workflow-error';
import { CircuitBreaker } from '../../ports/circuit-breaker.port';
import { Clock } from '../../ports/clock.port';
import { HttpClient, HttpRequest, HttpResponse, IDEMPOTENT_METHODS } from '../../ports/http-client.port';
import { PreparedContent } from '../../ports/openapi-document-source.port';
import { TaskContext } from '../../ports/task-handler.port';
import { Secrets } from './authentication';
import { CallFailure } from './call-protocol';
import { CallTaskSettings, DEFAULT_MAX_REQUEST_BYTES } from './call-settings';
import { addQuerySecrets } from './call-url';
import { encodeContent, EncodedContent } from './content-encoding';
import { checkRequestHeaders } from './header-validation';
import { getHeader, idempotencyKeyHeader, setHeader } from './http-message';
import { httpAnswer, OutboundCalls } from './outbound-calls';

/**
 * The exchange of an HTTP or OpenAPI call with its server, within the task's deadline: the body
 * of files and bytes encoded (the files' GETs being outbound calls of the task too), the request
 * sent through the rate limits, the audit log and the circuit breaker, and its answer's status
 * judged. The call's OAuth2 token requests go through the same audit log.
 */
export class HttpExchange {
  constructor(
    private readonly http: HttpClient,
    private readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
    private readonly settings: CallTaskSettings,
    /** Rate limits and the audit log of outbound calls; absent: calls go out as they come, unaudited. */
    private readonly outbound?: OutboundCalls,
  ) {}

  /**
   * A multipart or binary body encoded into `request` (its Content-Type, and Content-Length when
   * known); files with a URL are opened here and read while the request is sent.
   */
  async encodeContent(content: PreparedContent, request: HttpRequest, context: TaskContext, secrets: Secrets): Promise<EncodedContent> {
    const encoded = await encodeContent(content, {
      http: this.http,
      maxBytes: this.settings.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      timeoutMs: () => this.timeoutMs(context),
      signal: context.signal,
      transportRetries: !context.workflowRetries,
      fetching: (url) => addQuerySecrets(url, secrets),
      fetch: (file) => this.fetchFile(file, context, secrets),
    });
    request.body = encoded.body;
    // Opening the files took part of the call's time.
    request.timeoutMs = this.timeoutMs(context);
    setHeader(request.headers, 'Content-Type', encoded.contentType);
    if (encoded.length !== undefined) setHeader(request.headers, 'Content-Length', String(encoded.length));
    return encoded;
  }

  /**
   * How an OAuth2 token request of this call is sent: written to the audit log like the call's
   * own requests (not rate-limited: a cached token serves many calls).
   */
  tokenSender(context: TaskContext, secrets: Secrets): (request: HttpRequest) => Promise<HttpResponse> {
    return (request) => {
      const send = (): Promise<HttpResponse> => this.http.send(request);
      if (!this.outbound?.engaged(context)) return send();
      const call = { protocol: 'http', method: request.method, url: request.url, operation: `${request.method} ${pathOf(request.url)}`, requestBody: request.body, headers: request.headers, answer: httpAnswer };
      return this.outbound.audited(context, call, secrets, send);
    };
  }

  /**
   * A file's GET for a multipart or binary body: one more outbound call of the task, through the
   * same rate limits and audit log as the request it feeds (operation `GET <path>`). The answer's
   * body streams into the request, so the audit line never shows it.
   */
  private fetchFile(request: HttpRequest, context: TaskContext, secrets: Secrets): Promise<HttpResponse> {
    const send = (): Promise<HttpResponse> => {
      // After a rate-limit wait, only what is left of the deadline.
      request.timeoutMs = this.timeoutMs(context);
      return this.http.send(request);
    };
    if (!this.outbound?.engaged(context)) return send();
    const call = { protocol: 'http', method: 'GET', url: request.url, operation: `GET ${pathOf(request.url)}`, headers: request.headers, answer: (r: HttpResponse) => ({ ...httpAnswer(r), body: undefined }) };
    return this.outbound.send(context, call, secrets, send);
  }

  /**
   * Headers added by the authentication are checked here too, before the circuit breaker sees the
   * call; then the call goes through the rate limits and the audit log (`outbound`), and the breaker.
   * The operation `per: operation` limits share: the OpenAPI operationId, else the method and path.
   */
  async send(request: HttpRequest, context: TaskContext, call: { protocol: 'http' | 'openapi'; secrets: Secrets; operation?: string }): Promise<HttpResponse> {
    checkRequestHeaders(request.headers);
    request.sensitiveHeaders = sensitiveHeaderNames(request.headers, call.secrets);
    if (this.settings.idempotencyKeys && !IDEMPOTENT_METHODS.has(request.method) && getHeader(request.headers, 'Idempotency-Key') === undefined) {
      // One key per operation, the same on every run of it, so a downstream that honours the header
      // sees one logical request even when the executor crashed mid-call and the task runs again.
      setHeader(request.headers, 'Idempotency-Key', idempotencyKeyHeader(context.operationKey));
    }
    // One circuit per tenant and host: one tenant's failing calls do not stop another's.
    const scope = { tenant: context.request.tenantId, host: hostKey(request.url) };
    const send = (): Promise<HttpResponse> => {
      // After a rate-limit wait, only what is left of the deadline.
      request.timeoutMs = this.timeoutMs(context);
      return this.breaker.run(scope, () => this.http.send(request), (response) => response.status >= 500);
    };
    if (!this.outbound?.engaged(context)) return send();
    const operation = call.operation ?? `${request.method} ${pathOf(request.url)}`;
    const outbound = { protocol: call.protocol, method: request.method, url: request.url, operation, requestBody: request.body, headers: request.headers, answer: httpAnswer };
    return this.outbound.send(context, outbound, call.secrets, send);
  }

  /** 2xx succeeds; with `redirect: true` so does 3xx. Anything else fails with the output kept. */
  check(response: HttpResponse, redirect: boolean, output: unknown, data: Record<string, unknown>): void {
    const { status } = response;
    const ok = status >= 200 && (redirect ? status <= 399 : status <= 299);
    if (!ok) throw new CallFailure(httpStatusError(status, { data }), output);
  }

  /** Milliseconds left before the task's deadline (at least 1). */
  timeoutMs(context: TaskContext): number {
    return Math.max(1, context.deadline - this.clock.now());
  }
}

function hostKey(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}

/**
 * The headers a redirect to another origin must not carry: those the authentication set or the
 * task named as secret (an API key's header), those with a sensitive name, and any whose value
 * holds one of the call's secrets.
 */
function sensitiveHeaderNames(headers: Readonly<Record<string, string>>, secrets: Secrets): string[] {
  const values = secrets.values.filter((v) => v !== '');
  return Object.entries(headers)
    .filter(([name, value]) => isSensitiveName(name, secrets.names) || values.some((secret) => value.includes(secret)))
    .map(([name]) => name);
}

/** The path of a URL, without the query (what `per: operation` shares for plain HTTP calls). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}
