import { isPlainObject, JsonObject } from '../../../domain/json';
import { redactDeep, redactText, redactUrl } from '../../../domain/redaction';
import { failed, OutcomeMetadata, succeeded, TaskOutcome, withMetadata } from '../../../domain/task-result';
import { CircuitBreaker } from '../../ports/circuit-breaker.port';
import { Clock } from '../../ports/clock.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client.port';
import { Metrics } from '../../ports/metrics.port';
import { OpenApiDocumentSource, PreparedContent } from '../../ports/openapi-document-source.port';
import { TaskContext, TaskHandler } from '../../ports/task-handler.port';
import { OutputAsForm, transformOutput } from '../output-transform';
import { applyAuthentication, Authentication, OAuth2TokenCache, parseAuthentication, Secrets, secretsOf } from './authentication';
import { asWorkflowError, CallFailure, CallProtocol, withDetail } from './call-protocol';
import { CallConfig, deferredKeys, flattenCallParameters, HttpCallConfig, OutputFormat, parseCallConfig } from './call-config';
import { CallTaskSettings } from './call-settings';
import { addQuerySecrets, prepareCallUrl } from './call-url';
import { schemeUseOf } from './document-security';
import { checkRequestHeaders } from './header-validation';
import { HttpExchange } from './http-exchange';
import { OutboundCalls } from './outbound-calls';
import { OpenApiCalls, withoutNulls } from './openapi-call';
import { base64, canonicalHeaders, getHeader, plainText, setHeader, stringHeaders, USER_AGENT } from './http-message';
import { contentTypeOf, decodeContent, decodeText } from './response-content';
import { httpCallContent } from './request-content';

/**
 * `call`: legacy HTTP calls and OpenAPI operations (docs/protocol.md, section 3).
 * Non-2xx answers, transport failures and bad configuration are failed outcomes, never
 * exceptions. Outputs and the resolved input never contain the secrets the call used.
 */
export class CallTaskHandler implements TaskHandler {
  readonly taskType = 'call';
  private readonly tokens: OAuth2TokenCache;
  private readonly protocols: ReadonlyMap<string, CallProtocol>;
  private readonly exchange: HttpExchange;
  private readonly openApi: OpenApiCalls;

  constructor(
    http: HttpClient,
    breaker: CircuitBreaker,
    documents: OpenApiDocumentSource,
    private readonly clock: Clock,
    private readonly settings: CallTaskSettings = { idempotencyKeys: false },
    protocols: readonly CallProtocol[] = [],
    private readonly metrics?: Metrics,
    /** Rate limits and the audit log of outbound calls; absent: calls go out as they come, unaudited. */
    private readonly outbound?: OutboundCalls,
  ) {
    this.tokens = new OAuth2TokenCache(http, clock);
    this.protocols = new Map(protocols.map((p) => [p.callType, p]));
    this.exchange = new HttpExchange(http, breaker, clock, settings, outbound);
    this.openApi = new OpenApiCalls(documents, this.exchange, this.tokens, settings);
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
      const { output } = config.callType === 'http' ? await this.callHttp(context, config, auth, secrets) : await this.openApi.call(context, config, auth, secrets, (m) => (metadata = m));
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
    const encoded = content ? await this.exchange.encodeContent(content, request, context, secrets).catch(stage) : undefined;
    const response = await this.exchange.send(request, context, { protocol: 'http', secrets })
      .catch(stage)
      .finally(() => encoded?.release());
    const output = this.httpOutput(config.output, response);
    this.exchange.check(response, config.redirect, output, { task_type: 'call', endpoint: redactUrl(config.url, secrets.names), method: config.method });
    return { output };
  }

  private httpOutput(format: OutputFormat | undefined, response: HttpResponse): JsonObject {
    const base: JsonObject = { status_code: response.status, headers: canonicalHeaders(response.headers) };
    if (format === 'response') return { ...base, body: decodeText(response.body, contentTypeOf(response)) };
    if (format === 'raw') return { ...base, body: base64(response.body) };
    return { ...base, data: decodeContent(response, this.settings.maxJsonDepth) };
  }

  // ---- shared -------------------------------------------------------------------------

  /** How an OAuth2 token request of this call is sent (HttpExchange.tokenSender). */
  private tokenSender(context: TaskContext, secrets: Secrets): (request: HttpRequest) => Promise<HttpResponse> {
    return this.exchange.tokenSender(context, secrets);
  }

  private timeoutMs(context: TaskContext): number {
    return this.exchange.timeoutMs(context);
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

/** The completion's metadata without the call's secrets (the document URL was redacted by parameter name only). */
function protectMetadata(metadata: OutcomeMetadata, secrets: Secrets): OutcomeMetadata {
  const { document } = metadata;
  if (!document) return metadata;
  return { ...metadata, document: { ...document, url: redactText(document.url, secrets.values.filter((v) => v !== '')) } };
}

function stripAuthentication(input: JsonObject): JsonObject {
  const { authentication: _a, ...rest } = input;
  return rest;
}
