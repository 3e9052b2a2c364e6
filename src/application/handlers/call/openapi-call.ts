import { JsonObject } from '../../../domain/json';
import { redactUrl } from '../../../domain/redaction';
import { OutcomeMetadata } from '../../../domain/task-result';
import { HttpRequest } from '../../ports/http-client.port';
import { OpenApiDocumentSource } from '../../ports/openapi-document-source.port';
import { TaskContext } from '../../ports/task-handler.port';
import { applyAuthentication, Authentication, OAuth2TokenCache, Secrets, secretsOf } from './authentication';
import { OpenApiCallConfig } from './call-config';
import { asWorkflowError, CallFailure, withDetail } from './call-protocol';
import { CallTaskSettings } from './call-settings';
import { addQuerySecrets, prepareCallUrl } from './call-url';
import { documentMoved, pinMatches } from './document-pin';
import { DocumentSecurity, schemeUseOf } from './document-security';
import { checkRequestHeaders } from './header-validation';
import { HttpExchange } from './http-exchange';
import { base64, canonicalHeaderName, canonicalHeaders, setHeader, USER_AGENT } from './http-message';
import { checksRequest, checksResponse, responseDescriptionFor, validationFailed } from './openapi-checks';
import { contentTypeOf, decodeContent, decodeText } from './response-content';

/** Top-level parameters whose value is null are absent (a required one then fails validation). */
export function withoutNulls(parameters: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(parameters)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * `call_type: openapi`: an operation of an OpenAPI document, its request built and checked against
 * the document, authenticated by the task or by the document's security schemes, and its answer
 * checked against the document when the task asks (docs/protocol.md, section 3).
 */
export class OpenApiCalls {
  private readonly security: DocumentSecurity;

  constructor(
    private readonly documents: OpenApiDocumentSource,
    private readonly exchange: HttpExchange,
    private readonly tokens: OAuth2TokenCache,
    private readonly settings: CallTaskSettings,
  ) {
    this.security = new DocumentSecurity(settings.credentials ?? [], settings.securityRequirements);
  }

  /** `report` is told which document the call runs against as soon as it is loaded. */
  async call(context: TaskContext, config: OpenApiCallConfig, taskAuth: Authentication | undefined, secrets: Secrets, report: (metadata: OutcomeMetadata) => void): Promise<{ output: unknown }> {
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
      const used = await applyAuthentication(one, target, this.tokens, this.exchange.timeoutMs(context), context.signal, this.exchange.tokenSender(context, secrets)).catch(stage('failed to apply authentication'));
      secrets.values.push(...used.values);
    }
    addQuerySecrets(target.url, secrets);
    // An operator's credential is bound to hosts: a redirect must not carry it to another one.
    const followRedirects = config.redirect && !this.security.carriesOperatorCredential(auths);
    const request: HttpRequest = { method: prepared.method.toUpperCase(), url: target.url, headers: target.headers, timeoutMs: this.exchange.timeoutMs(context), followRedirects, signal: context.signal, transportRetries: !context.workflowRetries };
    if (prepared.body !== undefined) request.body = prepared.body;
    const encoded = prepared.content ? await this.exchange.encodeContent(prepared.content, request, context, secrets).catch(stage('failed to build request')) : undefined;
    const response = await this.exchange.send(request, context, { protocol: 'openapi', secrets, operation: config.operationId })
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
    this.exchange.check(response, config.redirect, output, {
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
}
