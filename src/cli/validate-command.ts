import yaml from 'js-yaml';
import { flattenCallParameters, parseCallConfig } from '../application/handlers/call/call-config';
import { parseTaskRateLimit } from '../application/handlers/call/call-rate-limits';
import { httpCallContent } from '../application/handlers/call/request-content';
import { checkContent } from '../application/handlers/call/content-encoding';
import { getHeader, stringHeaders } from '../application/handlers/call/http-message';
import { parseAuthentication } from '../application/handlers/call/authentication';
import { DocumentSecurity, schemeUseOf } from '../application/handlers/call/document-security';
import { issueLine } from '../application/handlers/call/openapi-checks';
import { OpenApiDocument, OpenApiDocumentSource, ValidationIssue } from '../application/ports/openapi-document-source.port';
import { buildContainer, profileModules } from '../config/container';
import { AppConfig } from '../config/env';
import { CALL_PROTOCOL, OPENAPI_DOCUMENT_SOURCE } from '../config/tokens';
import { expressionBodies, isExpression } from '../domain/expressions';
import { isPlainObject, JsonObject } from '../domain/json';
import { isWorkflowError } from '../domain/workflow-error';
import { InputError, Output } from './cli-errors';
import { readRequestFile } from './run-command';

/** A call task found in the file: its name and its parameters in flunq's shape (`with` flattened). */
interface CallTask {
  name: string;
  parameters: JsonObject;
}

/** What the file declares beside its tasks. */
interface Checked {
  tasks: CallTask[];
  tenant: string;
  /** `use.authentications` of a workflow; undefined for a task request, which carries its own. */
  authentications: string[] | undefined;
}

/** Containers of tasks in a workflow (SDL 1.0): `do`, `try`, `for.do`, `fork.branches`, `catch.do`. */
function collect(list: unknown, out: CallTask[]): void {
  if (!Array.isArray(list)) return;
  for (const entry of list) {
    if (!isPlainObject(entry)) continue;
    for (const [name, task] of Object.entries(entry)) {
      if (!isPlainObject(task)) continue;
      if (typeof task['call'] === 'string') out.push({ name, parameters: flattenCallParameters(task) });
      collect(task['do'], out);
      collect(task['try'], out);
      if (isPlainObject(task['fork'])) collect(task['fork']['branches'], out);
      if (isPlainObject(task['catch'])) collect(task['catch']['do'], out);
    }
  }
}

/** A task request (the data of a task.requested event, or the whole event), or a workflow definition (YAML or JSON). */
export function tasksOf(file: string, text: string): Checked {
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? yaml.load(text) : JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''}`);
  }
  if (isPlainObject(parsed) && typeof parsed['data'] === 'string' && typeof parsed['type'] === 'string') {
    try {
      parsed = JSON.parse(parsed['data']);
    } catch {
      throw new InputError(`${file}: the event's data is not JSON`);
    }
  }
  if (!isPlainObject(parsed)) throw new InputError(`${file}: neither a task request nor a workflow`);
  if (Array.isArray(parsed['do'])) {
    const tasks: CallTask[] = [];
    collect(parsed['do'], tasks);
    const use = isPlainObject(parsed['use']) ? parsed['use']['authentications'] : undefined;
    return { tasks, tenant: 'default', authentications: isPlainObject(use) ? Object.keys(use) : [] };
  }
  const config = parsed['config'];
  const parameters = isPlainObject(config) && isPlainObject(config['parameters']) ? config['parameters'] : undefined;
  if (!parameters) throw new InputError(`${file}: neither a task request (config.parameters) nor a workflow (do)`);
  const name = typeof parsed['task_name'] === 'string' ? parsed['task_name'] : 'task';
  const tenant = typeof parsed['tenant_id'] === 'string' && parsed['tenant_id'] !== '' ? parsed['tenant_id'] : 'default';
  return { tasks: parsed['task_type'] === undefined || parsed['task_type'] === 'call' ? [{ name, parameters: flattenCallParameters(parameters) }] : [], tenant, authentications: undefined };
}

/** Edit distance (case-insensitive), for "did you mean". */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length] ?? 0;
}

export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/**
 * The caller parameters with every `${ … }` value taken out (its value is known only when the task
 * runs), and the places they were, as parameter paths (`/petId`, `/body/name`).
 */
function literalParameters(parameters: JsonObject): { literal: JsonObject; expressions: string[] } {
  const expressions: string[] = [];
  const strip = (value: unknown, at: string): unknown => {
    if (isExpression(value) || (typeof value === 'string' && expressionBodies(value).length > 0)) {
      expressions.push(at);
      return undefined;
    }
    if (Array.isArray(value)) return value.map((v, i) => strip(v, `${at}/${i}`));
    if (isPlainObject(value)) {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        const kept = strip(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
        if (kept !== undefined) out[k] = kept;
      }
      return out;
    }
    return value;
  };
  return { literal: strip(parameters, '') as JsonObject, expressions };
}

/** `/path/petId/0` → `/petId/0`; `/body/…` stays: the issue's place among the caller parameters. */
function parameterPath(pointer: string): string {
  return pointer.startsWith('/body') ? pointer : pointer.replace(/^\/[^/]+/, '');
}

function describeIssue(issue: ValidationIssue): string {
  if (issue.rule === 'required' && issue.pointer === '/body') return 'missing request body';
  const place = /^\/(path|query|header|cookie)\/([^/]+)$/.exec(issue.pointer);
  if (issue.rule === 'required' && place) return `missing required ${place[1]} parameter "${(place[2] ?? '').replace(/~1/g, '/').replace(/~0/g, '~')}"`;
  return issueLine(issue);
}

/**
 * The problems of one call task, one line each; none for calls that are not OpenAPI or whose
 * document is an expression. `security` holds the operator's credentials: a task that names a
 * security scheme, or gets its operation's requirement applied, is checked against them.
 */
async function check(task: CallTask, checked: Checked, env: CheckEnvironment): Promise<string[]> {
  const { source, documents, security } = env;
  const problem = (text: string): string => `task ${task.name}: ${text}`;
  const problems: string[] = [];
  const failure = (error: unknown): string => problem(isWorkflowError(error) ? error.detail : String(error));
  // Every call task's own rate limit, whatever its protocol (a run reads it before anything else).
  const rateLimit = task.parameters['rate_limit'];
  if (!hasExpression(rateLimit)) {
    try {
      parseTaskRateLimit(rateLimit);
    } catch (error) {
      problems.push(failure(error));
    }
  }
  // gRPC, AsyncAPI and GraphQL calls check their parameters when they run (their documents and
  // schemas are fetched then): here only what every call shares is checked.
  const named = task.parameters['call_type'] ?? task.parameters['call'];
  if (typeof named === 'string' && env.protocols.has(named.toLowerCase())) return problems;
  let config;
  try {
    config = parseCallConfig(task.parameters);
  } catch (error) {
    return [...problems, failure(error)];
  }
  if (config.callType === 'http') {
    // The files of a multipart or binary body: their shape, as a run checks it before fetching.
    const contentType = hasExpression(config.headers) ? undefined : getHeader(stringHeaders(config.headers), 'Content-Type');
    try {
      const content = config.body === undefined || hasExpression(contentType) ? undefined : httpCallContent(config.body, contentType);
      if (content) checkContent(content, hasExpression);
    } catch (error) {
      problems.push(failure(error));
    }
    return problems;
  }
  const auth = config.authentication;
  const known = checked.authentications ?? [];
  // A name the workflow's `use.authentications` defines is resolved by the workflow engine; any
  // other names one of the document's security schemes.
  const use = schemeUseOf(auth);
  // A name written as an expression is known only when the task runs.
  const schemeUse = use !== undefined && !known.includes(use.scheme) && expressionBodies(use.scheme).length === 0 ? use : undefined;
  const unknownAuthentication = (name: string, schemes: readonly string[]): string => {
    const hint = closest(name, [...known, ...schemes]);
    const defined = [...known, ...schemes.map((s) => `${s} (security scheme)`)];
    const why = hint ? ` (did you mean "${hint}"?)` : defined.length > 0 ? ` (defined: ${defined.join(', ')})` : ' (neither the workflow\'s use.authentications nor the document\'s security schemes define any)';
    return problem(`unknown authentication "${name}"${why}`);
  };
  if (use !== undefined) {
    // Checked once the document is loaded: it may be one of its security schemes.
  } else if (auth !== undefined && expressionBodies(auth).length === 0) {
    try {
      parseAuthentication(auth);
    } catch (error) {
      problems.push(problem(isWorkflowError(error) ? error.detail : String(error)));
    }
  }
  if (expressionBodies(config.documentUrl).length > 0 || expressionBodies(config.operationId).length > 0) return problems;
  let document: OpenApiDocument;
  try {
    let pending = documents.get(config.documentUrl);
    if (!pending) documents.set(config.documentUrl, (pending = source.load(checked.tenant, config.documentUrl)));
    document = await pending;
  } catch (error) {
    return [...problems, problem(`cannot load the OpenAPI document ${config.documentUrl}: ${isWorkflowError(error) ? error.detail : String(error)}`)];
  }
  const schemes = document.securitySchemeNames();
  const unknownScheme = schemeUse !== undefined && !schemes.includes(schemeUse.scheme);
  if (schemeUse !== undefined && unknownScheme) problems.push(unknownAuthentication(schemeUse.scheme, schemes));
  const ids = document.operationIds();
  if (!ids.includes(config.operationId)) {
    const hint = closest(config.operationId, ids);
    return [...problems, problem(`unknown operation id "${config.operationId}"${hint ? ` (did you mean "${hint}"?)` : ''}`)];
  }
  if (!unknownScheme && (schemeUse !== undefined || (use === undefined && auth === undefined))) {
    // What the call would send: the scheme's secret from the task or the operator, bound to the operation's server.
    try {
      const operation = await document.security(config.operationId);
      const target = { tenant: checked.tenant, documentUrl: config.documentUrl, operationId: config.operationId, url: operation.server ?? config.documentUrl, security: operation };
      if (schemeUse !== undefined) security.forUse(schemeUse, target);
      else security.forOperation(target);
    } catch (error) {
      problems.push(problem(isWorkflowError(error) ? error.detail : String(error)));
    }
  }
  const { literal, expressions } = literalParameters(config.parameters);
  const issues = await document.validateRequest(config.operationId, literal);
  for (const issue of issues) {
    const at = parameterPath(issue.pointer);
    if (expressions.some((e) => at === e || at.startsWith(`${e}/`))) continue;
    problems.push(problem(describeIssue(issue)));
  }
  // The files of a multipart or binary body, as the operation's request body lays them out. A
  // request that cannot be built (a required value is an expression or missing) is left to the
  // checks above.
  const prepared = await document.prepare(config.operationId, literal).catch(() => undefined);
  if (prepared?.content) {
    try {
      checkContent(prepared.content, hasExpression);
    } catch (error) {
      problems.push(failure(error));
    }
  }
  return problems;
}

interface CheckEnvironment {
  source: OpenApiDocumentSource;
  documents: Map<string, Promise<OpenApiDocument>>;
  security: DocumentSecurity;
  /** The call types served by a registered protocol (`grpc`, `asyncapi`, `graphql`), lower case. */
  protocols: ReadonlySet<string>;
}

/** A value holding a `${ … }` expression anywhere: known only when the task runs. */
function hasExpression(value: unknown): boolean {
  if (typeof value === 'string') return isExpression(value) || expressionBodies(value).length > 0;
  if (Array.isArray(value)) return value.some(hasExpression);
  if (isPlainObject(value)) return Object.values(value).some(hasExpression);
  return false;
}

/**
 * `validate`: loads the OpenAPI documents the call tasks of a task request or a workflow refer to
 * (through the executor's own document source: same address policy, limits and parsing) and
 * reports, one line each, what would fail when they run, without calling any operation. Values
 * that are expressions are known only at run time and are not checked.
 */
export async function validate(file: string, cfg: AppConfig, io: Output): Promise<number> {
  const checked = tasksOf(file, readRequestFile(file, cfg.limits.maxEntryBytes));
  const container = await buildContainer(profileModules(cfg, 'embedded', { logStream: process.stderr }));
  try {
    const source = container.get(OPENAPI_DOCUMENT_SOURCE);
    const documents = new Map<string, Promise<OpenApiDocument>>();
    const problems: string[] = [];
    const security = new DocumentSecurity(cfg.call.credentials, cfg.call.securityRequirements);
    const protocols = new Set((container.isBound(CALL_PROTOCOL) ? container.getAll(CALL_PROTOCOL) : []).map((p) => p.callType));
    for (const task of checked.tasks) problems.push(...(await check(task, checked, { source, documents, security, protocols })));
    for (const line of problems) io.out(line);
    const tasks = `${checked.tasks.length} call task${checked.tasks.length === 1 ? '' : 's'}`;
    io.err(problems.length === 0 ? `${file}: ${tasks} checked, no problems` : `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${tasks}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await container.unbindAll();
  }
}
