import { isPlainObject, JsonObject, objectOrEmpty } from './json';
import { DEFAULT_MAX_JSON_DEPTH, jsonTextTooDeep } from './json-limits';
import { errors, WorkflowError } from './workflow-error';
import { FlunqEvent } from './flunq-event';

export { EXECUTOR_SOURCE, TASK_COMPLETED, TASK_DLQ, TASK_REQUESTED } from './flunq-event';

export interface TaskContextData {
  workflowInput: JsonObject | undefined;
  variables: JsonObject;
  taskOutputs: JsonObject;
  /** The whole `context` object, for keys we do not model (e.g. `retry_context`). */
  raw: JsonObject;
}

export interface TaskConfig {
  /** `config.timeout` in milliseconds, when present and positive. */
  timeoutMs: number | undefined;
  parameters: JsonObject;
  raw: JsonObject;
}

/** A validated `io.flunq.task.requested` event. */
export interface TaskRequest {
  eventId: string;
  source: string;
  taskId: string;
  taskName: string;
  taskType: string;
  tenantId: string;
  workflowId: string;
  executionId: string;
  input: JsonObject;
  context: TaskContextData;
  config: TaskConfig;
}

/** What could be learned about a task from an event that did not parse. */
export interface TaskIdentity {
  taskId: string;
  taskName: string;
  tenantId: string;
  workflowId: string;
  executionId: string;
}

export type ParseResult =
  | { ok: true; request: TaskRequest }
  | { ok: false; error: WorkflowError; identity: TaskIdentity };

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** `task-<name>-<unix nanos>` is the worker's id pattern; it lets us name the task of a broken event. */
export function taskNameFromId(taskId: string): string {
  const m = /^task-(.+)-\d+$/.exec(taskId);
  return m?.[1] ?? '';
}

function identityOf(event: FlunqEvent, data: JsonObject): TaskIdentity {
  const taskId = str(data['task_id']) || event.taskId;
  return {
    taskId,
    taskName: str(data['task_name']) || taskNameFromId(taskId),
    tenantId: event.tenantId || str(data['tenant_id']),
    workflowId: event.workflowId || str(data['workflow_id']),
    executionId: event.executionId || str(data['execution_id']),
  };
}

/** What the event's attributes alone say about a task (when its `data` is not to be parsed). */
export function identityOfEvent(event: FlunqEvent): TaskIdentity {
  return identityOf(event, {});
}

/** Where JSON.parse gave up, when its message says so; the message itself quotes the payload. */
function jsonErrorPosition(error: unknown): string {
  const m = /at position (\d+)/.exec(error instanceof Error ? error.message : '');
  return m ? `, invalid at position ${m[1]}` : '';
}

function malformed(detail: string, identity: TaskIdentity): ParseResult {
  return { ok: false, error: errors.validation(detail, 'MALFORMED_EVENT'), identity };
}

/**
 * Parses a `task.requested` event. Never throws: everything wrong with
 * the event comes back as a `validation` error with whatever identity could be recovered.
 * `data` nesting deeper than `maxJsonDepth` levels is refused before it is parsed: the code
 * that later walks the request (expressions, redaction, the completion's JSON) recurses per
 * level and would overflow the stack far from here.
 */
export function parseTaskRequest(event: FlunqEvent, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH): ParseResult {
  const rawData = event.data;
  if (rawData === undefined) return malformed('event has no data field', identityOf(event, {}));
  if (jsonTextTooDeep(rawData, maxJsonDepth)) {
    return malformed(`event data nests deeper than the nesting-depth limit of ${maxJsonDepth} levels of arrays and objects`, identityOf(event, {}));
  }
  let data: unknown;
  try {
    data = JSON.parse(rawData);
  } catch (error) {
    // The parser's message quotes the payload, which may hold secrets: name only the position.
    return malformed(`event data is not valid JSON (${rawData.length} characters${jsonErrorPosition(error)})`, identityOf(event, {}));
  }
  if (!isPlainObject(data)) return malformed('event data is not a JSON object', identityOf(event, {}));

  const identity = identityOf(event, data);
  if (identity.taskId === '') return malformed('event has no task_id (neither data.task_id nor the taskid field)', identity);
  if (data['task_type'] !== undefined && typeof data['task_type'] !== 'string') {
    return malformed('task_type must be a string', identity);
  }

  const context = objectOrEmpty(data['context']);
  const config = objectOrEmpty(data['config']);
  const timeout = config['timeout'];
  const request: TaskRequest = {
    eventId: event.id,
    source: event.source,
    ...identity,
    taskType: str(data['task_type']),
    input: objectOrEmpty(data['input']),
    context: {
      workflowInput: isPlainObject(context['workflow_input']) ? context['workflow_input'] : undefined,
      variables: objectOrEmpty(context['variables']),
      taskOutputs: objectOrEmpty(context['task_outputs']),
      raw: context,
    },
    config: {
      timeoutMs: typeof timeout === 'number' && timeout > 0 ? timeout * 1000 : undefined,
      parameters: objectOrEmpty(config['parameters']),
      raw: config,
    },
  };
  return { ok: true, request };
}
