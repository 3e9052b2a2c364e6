import { JsonObject } from '../../../../domain/json';
import { isSensitiveName, redactUrl } from '../../../../domain/redaction';
import { errors, isWorkflowError, WorkflowError } from '../../../../domain/workflow-error';
import { CircuitBreaker } from '../../../ports/circuit-breaker.port';
import { Clock } from '../../../ports/clock.port';
import { GraphqlDocuments, GraphqlOperation, GraphqlProblem, GraphqlSchema } from '../../../ports/graphql-documents.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../../ports/http-client.port';
import { Secrets } from '../authentication';
import { CallFailure, CallProtocol, ProtocolCall } from '../call-protocol';
import { httpAnswer } from '../outbound-calls';
import { prepareCallUrl } from '../call-url';
import { checkRequestHeaders } from '../header-validation';
import { base64, getHeader, idempotencyKeyHeader, setHeader, USER_AGENT } from '../http-message';
import { GraphqlErrorData, graphqlOutput } from './graphql-answer';
import { describeGraphqlCall, GraphqlCallParameters, invalidGraphqlCall, parseGraphqlParameters } from './graphql-parameters';
import { GraphqlSchemaCache, MAX_SCHEMAS, SCHEMA_TTL_MS } from './schema-cache';

export interface GraphqlCallSettings {
  /** Send an `Idempotency-Key` header with mutations (CALL_IDEMPOTENCY_KEYS), as HTTP calls do with POSTs. */
  idempotencyKeys: boolean;
  /** Deepest nesting accepted in a JSON answer (EXECUTOR_MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
  /** How long an introspected schema is reused (default 5 min) and how many are held (default 256). */
  schemaTtlMs?: number;
  maxSchemas?: number;
}

/** How the request authenticates beyond the task's `authentication`: credentials written into the endpoint URL. */
interface Prepared {
  url: string;
  basic: string | undefined;
  data: GraphqlErrorData;
}

/** Problems quoted in the detail of a refused query; all of them (up to the adapter's bound) are in the data. */
const QUOTED_PROBLEMS = 3;

function where(problem: GraphqlProblem): string {
  const first = problem.locations[0];
  return first ? ` (line ${first.line}, column ${first.column})` : '';
}

/** The error (or failure) with `prefix` before its detail, the output it carries kept. */
function staged(prefix: string): (e: unknown) => never {
  return (e: unknown): never => {
    if (e instanceof CallFailure) throw new CallFailure(e.error.with({ detail: `${prefix}: ${e.error.detail}`, cause: e.error }), e.output);
    if (isWorkflowError(e)) throw e.with({ detail: `${prefix}: ${e.detail}`, cause: e });
    throw e;
  };
}

function hostKey(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}

/**
 * `call: graphql` (a flunq extension, docs/call-graphql.md): one GraphQL operation sent as an HTTP
 * POST of `{query, variables, operationName}`, through the HttpClient port and the circuit breaker
 * as HTTP calls are (so the outbound address policy, tracing and limits apply). A query may be
 * resent by the transport after a network error; a mutation never is. With `validate: true` the
 * query is first checked against the server's schema, fetched by introspection and cached.
 */
export class GraphqlCallProtocol implements CallProtocol {
  readonly callType = 'graphql';
  private readonly schemas: GraphqlSchemaCache;

  constructor(
    private readonly http: HttpClient,
    private readonly breaker: CircuitBreaker,
    private readonly documents: GraphqlDocuments,
    private readonly clock: Clock,
    private readonly settings: GraphqlCallSettings = { idempotencyKeys: false },
  ) {
    this.schemas = new GraphqlSchemaCache(clock, settings.schemaTtlMs ?? SCHEMA_TTL_MS, settings.maxSchemas ?? MAX_SCHEMAS);
  }

  describe(parameters: JsonObject): JsonObject {
    return describeGraphqlCall(parameters);
  }

  async call(call: ProtocolCall): Promise<unknown> {
    const parameters = parseGraphqlParameters(call.parameters);
    const operation = this.documents.operation(parameters.query, parameters.operationName);
    if (operation.kind === 'subscription') {
      throw invalidGraphqlCall('subscriptions are not supported (a call task takes one answer); use a query or a mutation');
    }
    const prepared = this.prepare(call, parameters, operation);
    if (parameters.validate) {
      const schema = await this.schemaOf(call, parameters, prepared);
      const problems = await this.documents.validate(schema, operation, call.context.request.tenantId);
      if (problems.length > 0) throw refused(problems, prepared.data);
    }
    const body: JsonObject = { query: parameters.query };
    if (parameters.variables !== undefined) body['variables'] = parameters.variables;
    if (parameters.operationName !== undefined) body['operationName'] = parameters.operationName;
    const response = await this.post(call, prepared, parameters.headers, body, operation.kind === 'query').catch(staged('GraphQL request failed'));
    return graphqlOutput(response, prepared.data, this.settings.maxJsonDepth);
  }

  /** The endpoint without user info; credentials written into it become basic authentication, as for HTTP calls. */
  private prepare(call: ProtocolCall, parameters: GraphqlCallParameters, operation: GraphqlOperation): Prepared {
    const secrets: Secrets = { names: [], values: [] };
    let prepared;
    try {
      prepared = prepareCallUrl(parameters.endpoint, call.authentication, secrets);
    } finally {
      for (const value of secrets.values) call.addSecret(value);
    }
    let basic: string | undefined;
    if (prepared.auth !== call.authentication && prepared.auth?.kind === 'basic') {
      basic = `Basic ${base64(new TextEncoder().encode(`${prepared.auth.username}:${prepared.auth.password}`))}`;
      call.addSecret(basic.slice('Basic '.length));
    }
    const data: GraphqlErrorData = { endpoint: redactUrl(parameters.endpoint) };
    if (operation.name !== undefined) data.operation_name = operation.name;
    return { url: prepared.url.toString(), basic, data };
  }

  /** The server's schema: from the cache (per tenant and endpoint), else by the introspection query. */
  private async schemaOf(call: ProtocolCall, parameters: GraphqlCallParameters, prepared: Prepared): Promise<GraphqlSchema> {
    const tenant = call.context.request.tenantId;
    // What identifies the caller to the server: the task's authentication, credentials of the endpoint's URL, sensitive headers.
    const credentials = JSON.stringify([call.authentication ?? null, prepared.basic ?? null, Object.entries(parameters.headers).filter(([name]) => isSensitiveName(name))]);
    const cached = this.schemas.get(tenant, prepared.url, credentials);
    if (cached) return cached;
    const stage = staged('GraphQL schema introspection failed');
    const response = await this.post(call, prepared, parameters.headers, { query: this.documents.introspectionQuery }, true).catch(stage);
    let answer: JsonObject;
    try {
      answer = graphqlOutput(response, prepared.data, this.settings.maxJsonDepth);
    } catch (e) {
      // The introspection answer itself is not the task's output: only the failure is reported.
      return stage(e instanceof CallFailure ? e.error : e);
    }
    const schema = await this.documents.schema(answer['data'], tenant);
    this.schemas.set(tenant, prepared.url, schema, credentials);
    return schema;
  }

  /** One POST through the circuit breaker (one circuit per tenant and host; 5xx answers count against it). */
  private async post(call: ProtocolCall, prepared: Prepared, extraHeaders: Record<string, string>, body: JsonObject, reads: boolean): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: 'application/json' };
    for (const [name, value] of Object.entries(extraHeaders)) setHeader(headers, name, value);
    setHeader(headers, 'Content-Type', 'application/json');
    if (prepared.basic !== undefined) setHeader(headers, 'Authorization', prepared.basic);
    const target = { url: prepared.url, headers };
    await call.authenticate(target);
    const { context } = call;
    if (this.settings.idempotencyKeys && !reads && getHeader(headers, 'Idempotency-Key') === undefined) {
      setHeader(headers, 'Idempotency-Key', idempotencyKeyHeader(context.operationKey));
    }
    checkRequestHeaders(headers);
    const request: HttpRequest = {
      method: 'POST',
      url: target.url,
      headers: target.headers,
      body: JSON.stringify(body),
      timeoutMs: Math.max(1, context.deadline - this.clock.now()),
      followRedirects: false,
      signal: context.signal,
      // A query only reads: the transport may resend it after a network error, unless the workflow retries the call itself.
      transportRetries: !context.workflowRetries,
      idempotent: reads,
    };
    const scope = { tenant: context.request.tenantId, host: hostKey(request.url) };
    const outbound = { protocol: 'graphql', method: 'POST', url: request.url, operation: prepared.data.operation_name ?? 'anonymous', requestBody: request.body, headers: request.headers, answer: httpAnswer };
    return call.send(outbound, () => {
      // After a rate-limit wait, only what is left of the deadline.
      request.timeoutMs = Math.max(1, context.deadline - this.clock.now());
      return this.breaker.run(scope, () => this.http.send(request), (response) => response.status >= 500);
    });
  }
}

/** GRAPHQL_INVALID: the query does not validate against the server's schema; nothing was sent to run it. */
function refused(problems: readonly GraphqlProblem[], data: GraphqlErrorData): WorkflowError {
  const quoted = problems.slice(0, QUOTED_PROBLEMS).map((p) => `${p.message}${where(p)}`).join('; ');
  const more = problems.length > QUOTED_PROBLEMS ? ` (and ${problems.length - QUOTED_PROBLEMS} more)` : '';
  return errors.validation(`GraphQL query does not match the schema of ${data.endpoint}: ${quoted}${more}`, 'GRAPHQL_INVALID', { ...data, problems });
}
