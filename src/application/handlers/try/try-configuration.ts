import { parseDuration } from '../../../domain/duration';
import { isPlainObject, JsonObject } from '../../../domain/json';
import { Backoff, RetryPolicySpec } from '../../../domain/retry-policy';
import { TaskRequest } from '../../../domain/task-request';
import { errors, isWorkflowError, WorkflowError } from '../../../domain/workflow-error';

/** One task to run inside `try` or `catch.do`, already mapped to a flunq task type and parameters. */
export interface InnerTaskDefinition {
  /** The task's name in its list or map (the try task's own name for the inline map). */
  name: string;
  taskType: string;
  parameters: JsonObject;
  /** Extra task input (flunq request shape `input`), laid over the try task's input. */
  input?: JsonObject;
  /** SDL `output.as`: replaces the task's output (the rule is transformOutput's). */
  outputAs?: unknown;
}

export interface RetryDefinition {
  policy: RetryPolicySpec;
  when?: string;
  exceptWhen?: string;
  /** Set when the policy was referenced by name. */
  name?: string;
}

export interface CatchDefinition {
  /** `errors.with`: every key must match the raised error; undefined catches every error. */
  filter: JsonObject | undefined;
  /** Name the error is exposed under (`$<as>`, `.<as>`, output key); never empty. */
  as: string;
  when?: string;
  exceptWhen?: string;
  retry?: RetryDefinition;
  /** Recovery tasks in document order; empty when there is no `do`. */
  do: InnerTaskDefinition[];
}

export type TryConfigurationSource =
  | 'input.try_catch_config'
  | 'input.try_config'
  | 'config.parameters'
  | 'input.task_definition';

export interface TryConfiguration {
  source: TryConfigurationSource;
  tasks: InnerTaskDefinition[];
  catch: CatchDefinition;
}

export const DEFAULT_ERROR_VARIABLE = 'error';
const DEFAULT_EXPONENTIAL_MULTIPLIER = 2;

/** Task input keys that carry the try configuration itself; inner tasks must not see them. */
export const TRY_INPUT_KEYS: readonly string[] = ['try_catch_config', 'try_config', 'retry_context', 'task_definition', 'retry_policies'];

/** SDL task base properties: never the key that names a task's type. */
const BASE_PROPERTIES = new Set(['if', 'input', 'output', 'export', 'timeout', 'then', 'metadata', 'with', 'name']);

/** A fail function and the task types the executor runs (the handler registry's). */
interface TaskListContext {
  taskTypes: readonly string[];
  fail: (detail: string) => WorkflowError;
}

function tryError(detail: string): WorkflowError {
  return errors.configuration(`invalid try configuration: ${detail}`);
}

function catchError(detail: string): WorkflowError {
  return errors.configuration(`invalid catch configuration: ${detail}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Where the configuration is, in Go's order, then the documented fallbacks. */
function locate(request: TaskRequest): { source: TryConfigurationSource; value: JsonObject } | undefined {
  const { input, config } = request;
  for (const key of ['try_catch_config', 'try_config'] as const) {
    const value = input[key];
    if (isPlainObject(value)) return { source: `input.${key}`, value };
  }
  const { parameters } = config;
  if (parameters['try'] !== undefined || parameters['catch'] !== undefined) {
    return { source: 'config.parameters', value: parameters };
  }
  const definition = input['task_definition'];
  if (isPlainObject(definition) && definition['try'] !== undefined) return { source: 'input.task_definition', value: definition };
  return undefined;
}

/**
 * Reads the try/catch configuration of a `try` task from `input.try_catch_config`, else
 * `input.try_config`, else `config.parameters.try`/`catch`, else `input.task_definition`.
 * Every inner task (in `try` and `catch.do`) must be of one of `taskTypes`, the types the
 * executor runs (the handler registry's). Throws a `configuration` WorkflowError naming what is
 * wrong, with the supported types when a task's type is not one of them.
 */
export function parseTryConfiguration(request: TaskRequest, taskTypes: readonly string[]): TryConfiguration {
  const located = locate(request);
  if (!located) throw tryError('try configuration not found in task input');
  const { source, value } = located;
  if (value['try'] === undefined) throw tryError('the try block is missing');
  const tasks = parseTaskList(value['try'], request.taskName, 'try', { taskTypes, fail: tryError });
  if (tasks.length === 0) throw tryError('the try block has no task');
  const rawCatch = value['catch'];
  if (rawCatch === undefined || rawCatch === null) throw tryError('catch block is required');
  if (!isPlainObject(rawCatch)) throw catchError(`catch must be an object, got ${describe(rawCatch)}`);
  return { source, tasks, catch: parseCatch(rawCatch, request, value, taskTypes) };
}

/**
 * A task list in any of the accepted shapes:
 * - the SDL list `[{name: {call: …}}, …]`;
 * - flunq's single inline task `{call|set|wait|task_type…, with, output}` (named after the try task);
 * - a map of name → task (flunq's `catch.do`), kept in document order.
 */
export function parseTaskList(value: unknown, ownName: string, where: string, context: TaskListContext): InnerTaskDefinition[] {
  const { fail } = context;
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      if (!isPlainObject(item)) throw fail(`${where}[${index}] must be an object {name: task}, got ${describe(item)}`);
      const entries = Object.entries(item);
      const [entry] = entries;
      if (entries.length !== 1 || !entry) throw fail(`${where}[${index}] must have exactly one key (the task name), got ${entries.length}`);
      return parseTask(entry[0], entry[1], `${where}[${index}].${entry[0]}`, context);
    });
  }
  if (!isPlainObject(value)) throw fail(`${where} must be a task, a task list or a map of tasks, got ${describe(value)}`);
  if (taskTypeKey(value, context.taskTypes) !== undefined) return [parseTask(ownName, value, where, context)];
  return Object.entries(value).map(([name, task]) => parseTask(name, task, `${where}.${name}`, context));
}

/** The key that names an SDL task's type (one of the executor's task types), or `task_type` for flunq's request shape. */
function taskTypeKey(task: JsonObject, taskTypes: readonly string[]): string | undefined {
  if (typeof task['task_type'] === 'string') return 'task_type';
  return taskTypes.find((type) => type in task);
}

function parseTask(name: string, value: unknown, where: string, context: TaskListContext): InnerTaskDefinition {
  const { fail, taskTypes } = context;
  if (!isPlainObject(value)) throw fail(`${where} must be an object, got ${describe(value)}`);
  const typeKey = taskTypeKey(value, taskTypes);
  if (typeKey === undefined) throw fail(`${where} names no task type this executor runs (expected one of ${taskTypes.join(', ')}, or task_type)`);

  if (typeKey === 'task_type') {
    const taskType = value['task_type'] as string;
    if (!taskTypes.includes(taskType)) throw fail(`${where}: unsupported task type: ${taskType} (supported: ${taskTypes.join(', ')})`);
    // flunq's task-request shape: {task_type, config: {parameters}, input}.
    const config = value['config'];
    const parameters = isPlainObject(config) && isPlainObject(config['parameters']) ? config['parameters'] : isPlainObject(value['parameters']) ? value['parameters'] : {};
    const task: InnerTaskDefinition = { name, taskType, parameters };
    if (isPlainObject(value['input'])) task.input = value['input'];
    return task;
  }

  const body = value[typeKey];
  const task: InnerTaskDefinition = { name, taskType: typeKey, parameters: {} };
  const output = value['output'];
  if (isPlainObject(output) && output['as'] !== undefined) task.outputAs = output['as'];
  switch (typeKey) {
    case 'call':
      if (typeof body !== 'string' || body === '') throw fail(`${where}.call must name the call type (http, openapi, …), got ${describe(body)}`);
      task.parameters = callParameters(body, value);
      break;
    case 'set':
      if (!isPlainObject(body)) throw fail(`${where}.set must be an object, got ${describe(body)}`);
      task.parameters = body;
      break;
    case 'wait':
      task.parameters = { duration: body };
      break;
    case 'try':
      // A nested try reads its configuration from config.parameters.
      task.parameters = { try: body, catch: value['catch'] };
      break;
    default:
      task.parameters = isPlainObject(body) ? { ...body } : { [typeKey]: body };
      if (isPlainObject(value['with'])) task.parameters = { ...task.parameters, ...value['with'] };
  }
  return task;
}

/**
 * SDL `call` + `with` → flunq call parameters, as the worker builds them: `call_type`, the
 * `with` entries (`operationId` → `operation_id`), then any other key not already set. SDL's
 * `output` (the output transformation) is not copied: the call's own format lives in `with.output`.
 */
function callParameters(callType: string, task: JsonObject): JsonObject {
  const parameters: JsonObject = { call_type: callType };
  const withBlock = task['with'];
  if (isPlainObject(withBlock)) {
    for (const [key, v] of Object.entries(withBlock)) parameters[key === 'operationId' ? 'operation_id' : key] = v;
  }
  for (const [key, v] of Object.entries(task)) {
    if (key === 'call' || key === 'with' || BASE_PROPERTIES.has(key)) continue;
    if (!(key in parameters)) parameters[key] = v;
  }
  return parameters;
}

function optionalExpression(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw catchError(`${where} must be a runtime expression string, got ${describe(value)}`);
  return value;
}

function parseCatch(raw: JsonObject, request: TaskRequest, holder: JsonObject, taskTypes: readonly string[]): CatchDefinition {
  let filter: JsonObject | undefined;
  const errorsBlock = raw['errors'];
  if (errorsBlock !== undefined && errorsBlock !== null) {
    if (!isPlainObject(errorsBlock)) throw catchError(`errors must be an object {with: {…}}, got ${describe(errorsBlock)}`);
    const withBlock = errorsBlock['with'];
    if (withBlock !== undefined && withBlock !== null) {
      if (!isPlainObject(withBlock)) throw catchError(`errors.with must be an object, got ${describe(withBlock)}`);
      filter = withBlock;
    }
  }
  const as = raw['as'];
  if (as !== undefined && as !== null && typeof as !== 'string') throw catchError(`as must be a string, got ${describe(as)}`);
  const definition: CatchDefinition = {
    filter,
    as: typeof as === 'string' && as.trim() !== '' ? as.trim() : DEFAULT_ERROR_VARIABLE,
    do: [],
  };
  const when = optionalExpression(raw['when'], 'when');
  if (when !== undefined) definition.when = when;
  const exceptWhen = optionalExpression(raw['exceptWhen'], 'exceptWhen');
  if (exceptWhen !== undefined) definition.exceptWhen = exceptWhen;
  if (raw['retry'] !== undefined && raw['retry'] !== null) definition.retry = parseRetryReference(raw['retry'], request, holder);
  if (raw['do'] !== undefined && raw['do'] !== null) definition.do = parseTaskList(raw['do'], request.taskName, 'catch.do', { taskTypes, fail: catchError });
  return definition;
}

/** Named retry policies carried with the task (`use.retries` in the SDL document). */
function namedRetryPolicies(request: TaskRequest, holder: JsonObject): JsonObject[] {
  const found: JsonObject[] = [];
  const add = (value: unknown): void => {
    if (isPlainObject(value)) found.push(value);
  };
  const retriesOf = (use: unknown): unknown => (isPlainObject(use) ? use['retries'] : undefined);
  add(retriesOf(holder['use']));
  add(request.input['retry_policies']);
  add(retriesOf(request.input['use']));
  add(request.config.parameters['retry_policies']);
  add(retriesOf(request.config.parameters['use']));
  return found;
}

function parseRetryReference(value: unknown, request: TaskRequest, holder: JsonObject): RetryDefinition {
  if (typeof value === 'string') {
    const definition = namedRetryPolicies(request, holder)
      .map((policies) => policies[value])
      .find((policy) => policy !== undefined);
    if (definition === undefined) {
      throw catchError(`retry policy '${value}' is not defined in the task (looked in use.retries, input.retry_policies, config.parameters.retry_policies)`);
    }
    return { ...parseRetry(definition, `retry policy '${value}'`), name: value };
  }
  return parseRetry(value, 'retry');
}

function duration(value: unknown, where: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (isWorkflowError(error)) throw catchError(`${where}: ${error.detail}`);
    throw error;
  }
}

function positiveInteger(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw catchError(`${where} must be a positive integer, got ${describe(value)}`);
  return value;
}

function parseBackoff(value: unknown, delayMs: number, where: string): { backoff: Backoff; maxDelayMs?: number } {
  if (value === undefined || value === null) return { backoff: { kind: 'constant' } };
  let kind: string;
  let settings: JsonObject = {};
  if (typeof value === 'string') {
    kind = value;
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const [first] = keys;
    if (keys.length !== 1 || first === undefined) throw catchError(`${where} must have exactly one of constant, linear, exponential`);
    kind = first;
    const inner = value[first];
    if (inner !== undefined && inner !== null && !isPlainObject(inner)) throw catchError(`${where}.${first} must be an object, got ${describe(inner)}`);
    settings = isPlainObject(inner) ? inner : {};
  } else {
    throw catchError(`${where} must be an object such as {exponential: {}}, got ${describe(value)}`);
  }
  switch (kind) {
    case 'constant':
      return { backoff: { kind: 'constant' } };
    case 'linear': {
      // SDL leaves the formula to the runtime: the increment defaults to the base delay (d, 2d, 3d, …).
      const incrementMs = settings['increment'] === undefined ? delayMs : duration(settings['increment'], `${where}.linear.increment`);
      return { backoff: { kind: 'linear', incrementMs } };
    }
    case 'exponential': {
      const m = settings['multiplier'];
      if (m !== undefined && (typeof m !== 'number' || !Number.isFinite(m) || m < 1)) throw catchError(`${where}.exponential.multiplier must be a number ≥ 1, got ${describe(m)}`);
      const result: { backoff: Backoff; maxDelayMs?: number } = { backoff: { kind: 'exponential', multiplier: m ?? DEFAULT_EXPONENTIAL_MULTIPLIER } };
      if (settings['maxDelay'] !== undefined) result.maxDelayMs = duration(settings['maxDelay'], `${where}.exponential.maxDelay`);
      return result;
    }
    default:
      throw catchError(`${where}: unknown backoff '${kind}' (expected constant, linear or exponential)`);
  }
}

/** An SDL retry policy (with flunq's exponential `multiplier`/`maxDelay` extension) as a domain RetryPolicySpec. */
export function parseRetry(value: unknown, where = 'retry'): RetryDefinition {
  if (!isPlainObject(value)) throw catchError(`${where} must be an object or the name of a retry policy, got ${describe(value)}`);
  const delayMs = value['delay'] === undefined || value['delay'] === null ? 0 : duration(value['delay'], `${where}.delay`);
  const { backoff, maxDelayMs } = parseBackoff(value['backoff'], delayMs, `${where}.backoff`);
  const policy: RetryPolicySpec = { delayMs, backoff, retryOn: 'any' };
  if (maxDelayMs !== undefined) policy.maxDelayMs = maxDelayMs;

  const limit = value['limit'];
  if (limit !== undefined && limit !== null) {
    if (!isPlainObject(limit)) throw catchError(`${where}.limit must be an object, got ${describe(limit)}`);
    const attempt = limit['attempt'];
    if (attempt !== undefined && attempt !== null) {
      if (!isPlainObject(attempt)) throw catchError(`${where}.limit.attempt must be an object, got ${describe(attempt)}`);
      if (attempt['count'] !== undefined) policy.maxAttempts = positiveInteger(attempt['count'], `${where}.limit.attempt.count`);
      if (attempt['duration'] !== undefined) policy.maxAttemptDurationMs = duration(attempt['duration'], `${where}.limit.attempt.duration`);
    }
    if (limit['duration'] !== undefined) policy.maxElapsedMs = duration(limit['duration'], `${where}.limit.duration`);
  }

  const jitter = value['jitter'];
  if (jitter !== undefined && jitter !== null) {
    if (!isPlainObject(jitter)) throw catchError(`${where}.jitter must be an object {from, to}, got ${describe(jitter)}`);
    const fromMs = jitter['from'] === undefined ? 0 : duration(jitter['from'], `${where}.jitter.from`);
    const toMs = jitter['to'] === undefined ? fromMs : duration(jitter['to'], `${where}.jitter.to`);
    if (toMs < fromMs) throw catchError(`${where}.jitter.to (${toMs} ms) is before jitter.from (${fromMs} ms)`);
    policy.jitter = { fromMs, toMs };
  }

  // Without an attempt count, only time bounds the retries; with no delay either they would spin.
  if (policy.maxAttempts === undefined && delayMs === 0 && (policy.jitter?.fromMs ?? 0) === 0) {
    throw catchError(`${where} retries without delay need limit.attempt.count`);
  }

  const definition: RetryDefinition = { policy };
  const when = optionalExpression(value['when'], `${where}.when`);
  if (when !== undefined) definition.when = when;
  const exceptWhen = optionalExpression(value['exceptWhen'], `${where}.exceptWhen`);
  if (exceptWhen !== undefined) definition.exceptWhen = exceptWhen;
  return definition;
}

/** `retry_context.attempt_count` (task input, else context) as attempts already made; 0 when absent or unusable. */
export function startingAttemptCount(request: TaskRequest): number {
  for (const holder of [request.input['retry_context'], request.context.raw['retry_context']]) {
    if (!isPlainObject(holder)) continue;
    const raw = holder['attempt_count'];
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  }
  return 0;
}
