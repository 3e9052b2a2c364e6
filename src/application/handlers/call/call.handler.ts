import { isPlainObject, JsonObject } from '../../../domain/json';
import { isSensitiveName, redactDeep, redactText, redactUrl } from '../../../domain/redaction';
import { failed, OutcomeMetadata, succeeded, TaskOutcome, withMetadata } from '../../../domain/task-result';
import { httpStatusError, isWorkflowError, WorkflowError } from '../../../domain/workflow-error';
import { CircuitBreaker } from '../../ports/circuit-breaker.port';
import { Clock } from '../../ports/clock.port';
import { HttpClient, HttpRequest, HttpResponse, IDEMPOTENT_METHODS } from '../../ports/http-client.port';
import { Metrics } from '../../ports/metrics.port';
import { OpenApiDocumentSource, PreparedContent } from '../../ports/openapi-document-source.port';
import { TaskContext, TaskHandler } from '../../ports/task-handler.port';
import { OutputAsForm, transformOutput } from '../output-transform';
import { applyAuthentication, Authentication, OAuth2TokenCache, parseAuthentication, Secrets, secretsOf } from './authentication';
import { CallFailure, CallProtocol } from './call-protocol';
import { CallConfig, deferredKeys, flattenCallParameters, HttpCallConfig, OpenApiCallConfig, OutputFormat, parseCallConfig } from './call-config';
import { addQuerySecrets, prepareCallUrl } from './call-url';
import { DocumentSecurity, schemeUseOf, SecurityRequirementsMode } from './document-security';
import { OperatorCredential } from './operator-credentials';
import { checksRequest, checksResponse, responseDescriptionFor, validationFailed, ValidateSides } from './openapi-checks';
import { checkRequestHeaders } from './header-validation';
import { httpAnswer, OutboundCalls } from './outbound-calls';
import { documentMoved, pinMatches } from './document-pin';
import { base64, canonicalHeaderName, canonicalHeaders, getHeader, plainText, setHeader, stringHeaders, USER_AGENT } from './http-message';
import { contentTypeOf, decodeContent, decodeText } from './response-content';
import { encodeContent, EncodedContent } from './content-encoding';
import { httpCallContent } from './request-content';

function withDetail(error: WorkflowError, detail: string): WorkflowError {
  return error.with({ detail, cause: error });
}

function asWorkflowError(error: unknown): WorkflowError {
  if (isWorkflowError(error)) return error;
  if (error instanceof CallFailure) return error.error;
  throw error;
}

function hostKey(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}

/** Top-level parameters whose value is null are absent (a required one then fails validation). */
function withoutNulls(parameters: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(parameters)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * `call`: legacy HTTP calls and OpenAPI operations (docs/protocol.md, section 3).
 * Non-2xx answers, transport failures and bad configuration are failed outcomes, never
 * exceptions. Outputs and the resolved input never contain the secrets the call used.
 */
export interface CallTaskSettings {
  /** Send an `Idempotency-Key` header on non-idempotent requests (CALL_IDEMPOTENCY_KEYS). */
  idempotencyKeys: boolean;
  /** Deepest nesting accepted in a JSON response body (EXECUTOR_MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
  /** Which sides of OpenAPI calls are checked against the document when a task says nothing (CALL_VALIDATE). */
  validate?: ValidateSides;
  /** Largest request body built from files and bytes (multipart, binary), in bytes (CALL_MAX_REQUEST_BYTES). */
  maxRequestBytes?: number;
  /** The operator's credentials for OpenAPI security schemes (CALL_CREDENTIALS_FILE). */
  credentials?: readonly OperatorCredential[];
  /** When operations' security requirements apply to calls without authentication (CALL_SECURITY_REQUIREMENTS; default `auto`). */
  securityRequirements?: SecurityRequirementsMode;
}

/** Default of CALL_MAX_REQUEST_BYTES. */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export class CallTaskHandler implements TaskHandler {
  readonly taskType = 'call';
  private readonly tokens: OAuth2TokenCache;
  private readonly protocols: ReadonlyMap<string, CallProtocol>;
  private readonly security: DocumentSecurity;

  constructor(
    private readonly http: HttpClient,
    private readonly breaker: CircuitBreaker,
    private readonly documents: OpenApiDocumentSource,
    private readonly clock: Clock,
    private readonly settings: CallTaskSettings = { idempotencyKeys: false },
    protocols: readonly CallProtocol[] = [],
    private readonly metrics?: Metrics,
    /** Rate limits and the audit log of outbound calls; absent: calls go out as they come, unaudited. */
    private readonly outbound?: OutboundCalls,
  ) {
    this.tokens = new OAuth2TokenCache(http, clock);
    this.protocols = new Map(protocols.map((p) => [p.callType, p]));
    this.security = new DocumentSecurity(settings.credentials ?? [], settings.securityRequirements);
  }

  async execute(context: TaskContext): Promise<TaskOutcome> {
    const started = this.clock.now();
    let protocol = 'unknown';
    const outcome = await this.run(context, (name) => (protocol = name));
    this.metrics?.callFinished(protocol, outcome.success ? 'success' : 'failure', this.clock.now() - started);
    return outcome;
  }

  /** `named` is told the protocol as soon as the parameters name it. */
  private async run(context: TaskContext, named: (protocol: string) => void): Promise<TaskOutcome> {
    const raw = flattenCallParameters(context.request.config.parameters);
    const deferred = deferredKeys(raw);
    let secrets: Secrets = { names: [], values: [] };
    let resolvedInput: JsonObject = { ...context.request.input };
    // What the completion reports beside the standard metadata (the OpenAPI document used).
    let metadata: OutcomeMetadata | undefined;
    // Added after the redaction pass, so redacted here too: a secret may be part of the document's URL.
    const described = (outcome: TaskOutcome): TaskOutcome => (metadata ? withMetadata(outcome, protectMetadata(metadata, secrets)) : outcome);
    try {
      const eager: JsonObject = { ...raw };
      for (const key of Object.keys(deferred)) delete eager[key];
      const resolved = (await context.resolve(eager)) as JsonObject;
      this.outbound?.prepare(context, resolved);
      const protocol = this.protocolOf(resolved);
      if (protocol) {
        named(protocol.callType);
        resolvedInput = { ...context.request.input, ...protocol.describe(resolved) };
        return await this.callProtocol(context, protocol, resolved, deferred, resolvedInput, (s) => (secrets = s));
      }
      const config = parseCallConfig({ ...resolved, ...deferred });
      named(config.callType);
      resolvedInput = this.resolvedInput(context, config);
      const auth = this.authenticationOf(config);
      secrets = secretsOf(auth);
      const { output } = config.callType === 'http' ? await this.callHttp(context, config, auth, secrets) : await this.callOpenApi(context, config, auth, secrets, (m) => (metadata = m));
      const transformed = await this.transform(context, config, deferred, output);
      return described(this.protect(succeeded(transformed, resolvedInput), secrets));
    } catch (error) {
      const failure = error instanceof CallFailure ? error : new CallFailure(asWorkflowError(error));
      return described(this.protect(failed(failure.error, failure.output, resolvedInput), secrets));
    }
  }

  /** The protocol `call_type` (or SDL `call`) names, when it is one of the registered ones. */
  private protocolOf(parameters: JsonObject): CallProtocol | undefined {
    const named = parameters['call_type'] ?? parameters['call'];
    return typeof named === 'string' ? this.protocols.get(named.toLowerCase()) : undefined;
  }

  private async callProtocol(
    context: TaskContext,
    protocol: CallProtocol,
    parameters: JsonObject,
    deferred: JsonObject,
    resolvedInput: JsonObject,
    report: (secrets: Secrets) => void,
  ): Promise<TaskOutcome> {
    const authentication = parseAuthentication(protocol.authenticationOf ? protocol.authenticationOf(parameters) : parameters['authentication']);
    const secrets = secretsOf(authentication);
    report(secrets);
    const timeoutMs = this.timeoutMs(context);
    const output = await protocol.call({
      context,
      parameters,
      authentication,
      timeoutMs,
      authenticate: async (target) => {
        const used = await applyAuthentication(authentication, target, this.tokens, timeoutMs, context.signal, this.tokenSender(context, secrets));
        secrets.values.push(...used.values);
        addQuerySecrets(target.url, secrets);
      },
      addSecret: (value) => {
        secrets.values.push(value);
      },
      send: (call, send) => (this.outbound?.engaged(context) ? this.outbound.send(context, call, secrets, send) : send()),
    });
    const outputAs = isPlainObject(deferred['output']) ? deferred['output']['as'] : undefined;
    const transformed = await this.transformWith(context, outputAs, deferred, output);
    return this.protect(succeeded(transformed, resolvedInput), secrets);
  }

  private authenticationOf(config: CallConfig): Authentication | undefined {
    // A security scheme of the document is resolved once the operation is known.
    if (config.callType === 'openapi' && schemeUseOf(config.authentication)) return undefined;
    try {
      return parseAuthentication(config.authentication);
    } catch (e) {
      const cause = asWorkflowError(e);
      // Go checks OpenAPI authentication while executing the operation, so the stage is named.
      throw config.callType === 'openapi' ? withDetail(cause, `OpenAPI operation failed: failed to apply authentication: ${cause.detail}`) : cause;
    }
  }

  // ---- legacy HTTP --------------------------------------------------------------------

  /** `secrets` collects what the call used (URL credentials, fetched tokens) as it goes, for the redaction of any outcome. */
  private async callHttp(context: TaskContext, config: HttpCallConfig, taskAuth: Authentication | undefined, secrets: Secrets): Promise<{ output: unknown }> {
    const { url, auth } = prepareCallUrl(config.url, taskAuth, secrets);
    const query = config.query;
    if (isPlainObject(query)) {
      for (const [key, value] of Object.entries(query)) {
        if (value === null || value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, plainText(item));
      }
    }
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    for (const [name, value] of Object.entries(stringHeaders(config.headers))) setHeader(headers, name, value);
    let body: string | undefined;
    let content: PreparedContent | undefined;
    if (config.body !== undefined) {
      const contentType = getHeader(headers, 'Content-Type');
      // Files and bytes are encoded (and files fetched) just before sending.
      content = httpCallContent(config.body, contentType);
      if (content === undefined && typeof config.body === 'string' && contentType !== undefined && !/json/i.test(contentType)) body = config.body;
      else if (content === undefined) {
        body = JSON.stringify(config.body);
        if (contentType === undefined) setHeader(headers, 'Content-Type', 'application/json');
      }
    }
    checkRequestHeaders(headers);
    const target = { url: url.toString(), headers };
    const stage = (e: unknown): never => {
      const cause = asWorkflowError(e);
      throw withDetail(cause, `HTTP request failed: ${cause.detail}`);
    };
    const used = await applyAuthentication(auth, target, this.tokens, this.timeoutMs(context), context.signal, this.tokenSender(context, secrets)).catch(stage);
    secrets.values.push(...used.values);
    addQuerySecrets(target.url, secrets);
    const request: HttpRequest = { method: config.method, url: target.url, headers: target.headers, timeoutMs: this.timeoutMs(context), followRedirects: config.redirect, signal: context.signal, transportRetries: !context.workflowRetries };
    if (body !== undefined) request.body = body;
    const encoded = content ? await this.encodeContent(content, request, context, secrets).catch(stage) : undefined;
    const response = await this.send(request, context, { protocol: 'http', secrets })
      .catch(stage)
      .finally(() => encoded?.release());
    const output = this.httpOutput(config.output, response);
    this.check(response, config.redirect, output, { task_type: 'call', endpoint: redactUrl(config.url, secrets.names), method: config.method });
    return { output };
  }

  private httpOutput(format: OutputFormat | undefined, response: HttpResponse): JsonObject {
    const base: JsonObject = { status_code: response.status, headers: canonicalHeaders(response.headers) };
    if (format === 'response') return { ...base, body: decodeText(response.body, contentTypeOf(response)) };
    if (format === 'raw') return { ...base, body: base64(response.body) };
    return { ...base, data: decodeContent(response, this.settings.maxJsonDepth) };
  }

  // ---- OpenAPI ------------------------------------------------------------------------

  /** `report` is told which document the call runs against as soon as it is loaded. */
  private async callOpenApi(context: TaskContext, config: OpenApiCallConfig, taskAuth: Authentication | undefined, secrets: Secrets, report: (metadata: OutcomeMetadata) => void): Promise<{ output: unknown }> {
    const stage = (name: string) => (e: unknown): never => {
      const cause = asWorkflowError(e);
      throw withDetail(cause, `OpenAPI operation failed: ${name}: ${cause.detail}`);
    };
    const load = (revalidate: boolean) => this.documents.load(context.request.tenantId, config.documentUrl, context.signal, { revalidate }).catch(stage('failed to load document'));
    let document = await load(false);
    const pin = config.documentVersion;
    // A cached copy may be older than the origin's: the origin is asked once before a mismatch is final.
    if (pin !== undefined && !pinMatches(pin, document.identity)) document = await load(true);
    const documentUrl = redactUrl(config.documentUrl, secrets.names);
    report({ document: { url: documentUrl, ...document.identity } });
    if (pin !== undefined && !pinMatches(pin, document.identity)) throw documentMoved(pin, document.identity, documentUrl);
    const parameters = withoutNulls(config.parameters);
    const sides = config.validate ?? this.settings.validate ?? 'none';
    const resolveStage = (e: unknown): never => {
      const cause = asWorkflowError(e);
      return stage(cause.code === 'OPERATION_NOT_FOUND' ? 'failed to resolve operation' : 'failed to build request')(cause);
    };
    let prepared;
    if (checksRequest(sides)) {
      // Checked before anything is built or sent (a refused request never reaches the service), in the same trip to the document.
      const checked = await document.prepareValidated(config.operationId, parameters).catch(resolveStage);
      if (!checked.prepared) throw validationFailed('request', checked.issues, config.operationId);
      prepared = checked.prepared;
    } else prepared = await document.prepare(config.operationId, parameters).catch(resolveStage);
    const { url, auth } = prepareCallUrl(prepared.url, taskAuth, secrets);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    for (const [name, value] of Object.entries(prepared.headers)) setHeader(headers, name, value);
    checkRequestHeaders(headers);
    const target = { url: url.toString(), headers };
    const use = auth ? undefined : schemeUseOf(config.authentication);
    // A prepared request carries only the schemes its operation asks for; another one named by the task is looked up.
    let security = prepared.security ?? { requirements: [], schemes: {} };
    if (use && !Object.prototype.hasOwnProperty.call(security.schemes, use.scheme)) security = await document.security(config.operationId).catch(stage('failed to apply authentication'));
    const securityTarget = { tenant: context.request.tenantId, documentUrl: config.documentUrl, operationId: config.operationId, url: target.url, security };
    let auths: Authentication[];
    try {
      auths = auth ? [auth] : use ? this.security.forUse(use, securityTarget) : this.security.forOperation(securityTarget);
    } catch (e) {
      return stage('failed to apply authentication')(e);
    }
    for (const one of auths) {
      const known = secretsOf(one);
      secrets.names.push(...known.names);
      secrets.values.push(...known.values);
    }
    for (const one of auths) {
      const used = await applyAuthentication(one, target, this.tokens, this.timeoutMs(context), context.signal, this.tokenSender(context, secrets)).catch(stage('failed to apply authentication'));
      secrets.values.push(...used.values);
    }
    addQuerySecrets(target.url, secrets);
    // An operator's credential is bound to hosts: a redirect must not carry it to another one.
    const followRedirects = config.redirect && !this.security.carriesOperatorCredential(auths);
    const request: HttpRequest = { method: prepared.method.toUpperCase(), url: target.url, headers: target.headers, timeoutMs: this.timeoutMs(context), followRedirects, signal: context.signal, transportRetries: !context.workflowRetries };
    if (prepared.body !== undefined) request.body = prepared.body;
    const encoded = prepared.content ? await this.encodeContent(prepared.content, request, context, secrets).catch(stage('failed to build request')) : undefined;
    const response = await this.send(request, context, { protocol: 'openapi', secrets, operation: config.operationId })
      .catch(stage('request failed'))
      .finally(() => encoded?.release());

    const echo: JsonObject = { method: request.method, url: redactUrl(prepared.url, secrets.names), headers: {}, operation_id: config.operationId };
    const echoHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(target.headers)) echoHeaders[canonicalHeaderName(name)] = value;
    echo['headers'] = echoHeaders;
    if (parameters['body'] !== undefined && prepared.body !== undefined) echo['body'] = parameters['body'];
    else if (encoded) echo['body'] = encoded.summary;

    const output: JsonObject = { status_code: response.status, headers: canonicalHeaders(response.headers), request: echo };
    const format = config.output ?? 'content';
    if (format === 'content') output['content'] = decodeContent(response, this.settings.maxJsonDepth);
    else if (format === 'response') output['body'] = decodeText(response.body, contentTypeOf(response));
    else output['body'] = base64(response.body);
    const description = responseDescriptionFor(prepared.responseDescriptions, response.status);
    this.check(response, config.redirect, output, {
      task_type: 'call',
      endpoint: redactUrl(prepared.url, secrets.names),
      method: request.method,
      operation_id: config.operationId,
      ...(description === undefined ? {} : { response_description: description }),
    });
    if (checksResponse(sides)) {
      const body = format === 'content' ? output['content'] : decodeContent(response, this.settings.maxJsonDepth);
      const checked = { status: response.status, contentType: response.headers['content-type']?.[0] ?? '', body };
      const issues = await document.validateResponse(config.operationId, checked).catch((e: unknown) => {
        throw new CallFailure(withDetail(asWorkflowError(e), `OpenAPI operation failed: failed to validate response: ${asWorkflowError(e).detail}`), output);
      });
      if (issues.length > 0) throw new CallFailure(validationFailed('response', issues, config.operationId), output);
    }
    return { output };
  }

  // ---- shared -------------------------------------------------------------------------

  /**
   * A multipart or binary body encoded into `request` (its Content-Type, and Content-Length when
   * known); files with a URL are opened here and read while the request is sent.
   */
  private async encodeContent(content: PreparedContent, request: HttpRequest, context: TaskContext, secrets: Secrets): Promise<EncodedContent> {
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
  private tokenSender(context: TaskContext, secrets: Secrets): (request: HttpRequest) => Promise<HttpResponse> {
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
  private async send(request: HttpRequest, context: TaskContext, call: { protocol: 'http' | 'openapi'; secrets: Secrets; operation?: string }): Promise<HttpResponse> {
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
  private check(response: HttpResponse, redirect: boolean, output: unknown, data: Record<string, unknown>): void {
    const { status } = response;
    const ok = status >= 200 && (redirect ? status <= 399 : status <= 299);
    if (!ok) throw new CallFailure(httpStatusError(status, { data }), output);
  }

  private timeoutMs(context: TaskContext): number {
    return Math.max(1, context.deadline - this.clock.now());
  }

  private resolvedInput(context: TaskContext, config: CallConfig): JsonObject {
    const input: JsonObject = { ...context.request.input };
    if (config.callType === 'http') {
      input['call_type'] = 'http';
      input['url'] = redactUrl(config.url);
      input['method'] = config.method;
      if (config.headers !== undefined) input['headers'] = config.headers;
      if (config.query !== undefined) input['query'] = config.query;
      if (config.body !== undefined) input['body'] = config.body;
    } else {
      input['call_type'] = 'openapi';
      input['document'] = { endpoint: redactUrl(config.documentUrl), ...(config.documentVersion === undefined ? {} : { version: config.documentVersion }) };
      input['operation_id'] = config.operationId;
      input['parameters'] = withoutNulls(config.parameters);
    }
    return input;
  }

  /**
   * The output transformation (transformOutput): SDL `output.as` from the call's parameters, else
   * flunq's `output_config.as` from the task input or the parameters. A stopped evaluation fails
   * the call with the output kept.
   */
  private async transform(context: TaskContext, config: CallConfig, deferred: JsonObject, output: unknown): Promise<unknown> {
    return this.transformWith(context, config.outputAs, deferred, output);
  }

  private async transformWith(context: TaskContext, outputAs: unknown, deferred: JsonObject, output: unknown): Promise<unknown> {
    let as = outputAs;
    let form: OutputAsForm = 'dsl';
    if (as === undefined) {
      const outputConfig = context.request.input['output_config'] ?? deferred['output_config'];
      as = isPlainObject(outputConfig) ? outputConfig['as'] : undefined;
      form = 'flunq';
    }
    try {
      return await transformOutput(context, as, output, form);
    } catch (e) {
      throw new CallFailure(asWorkflowError(e), output);
    }
  }

  /** One redaction pass over everything the outcome carries out of the process. */
  private protect(outcome: TaskOutcome, secrets: Secrets): TaskOutcome {
    const names = secrets.names;
    const values = secrets.values.filter((v) => v !== '');
    const output = redactDeep(outcome.output, names, values);
    const input = outcome.resolvedInput ? (redactDeep(stripAuthentication(outcome.resolvedInput), names, values) as JsonObject) : undefined;
    if (outcome.success) return succeeded(output, input);
    const error = outcome.error;
    const detail = redactText(error.detail, values);
    const data = error.data === undefined ? undefined : (redactDeep(error.data, names, values) as Record<string, unknown>);
    const clean = error.with({ detail, data, cause: undefined });
    return failed(clean, output, input);
  }
}

/**
 * The header value: a quoted string (a structured-field string, as the IETF draft defines the
 * header) of printable ASCII, any other character percent-encoded.
 */
export function idempotencyKeyHeader(operationKey: string): string {
  const encoder = new TextEncoder();
  const escaped = operationKey.replace(/[^\x21\x23-\x5b\x5d-\x7e]/gu, (c) => [...encoder.encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `"${escaped}"`;
}

/** The completion's metadata without the call's secrets (the document URL was redacted by parameter name only). */
function protectMetadata(metadata: OutcomeMetadata, secrets: Secrets): OutcomeMetadata {
  const { document } = metadata;
  if (!document) return metadata;
  return { ...metadata, document: { ...document, url: redactText(document.url, secrets.values.filter((v) => v !== '')) } };
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

function stripAuthentication(input: JsonObject): JsonObject {
  const { authentication: _a, ...rest } = input;
  return rest;
}
