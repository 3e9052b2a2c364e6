import { FlunqEvent, TASK_DLQ, TASK_REQUESTED } from './flunq-event';
import { isPlainObject, JsonObject } from './json';
import { rfc3339Seconds } from './time-format';

/** A task request built for local submission (embedded mode, CLI runner, demo). */
export interface LocalSubmission {
  taskId: string;
  request: FlunqEvent;
}

export type LocalSubmissionResult = { ok: true; submission: LocalSubmission } | { ok: false; problem: string };

export const LOCAL_SOURCE = 'worker-service';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Accepts either the `data` object of a flunq task request (what the worker writes as JSON) or a
 * whole event with flat attributes (`{ "type": "io.flunq.task.requested", "data": "<json>", … }`, the
 * form the flunq worker writes to a stream). Missing
 * ids get local defaults so that the request is complete: `task_id` becomes
 * `task-<task_name>-<nanos>` (the worker's pattern), workflow and execution ids `wf_local` /
 * `ex_local`, and the tenant `local`. `taskTypes` (the supported ones) are named when `task_type` is missing.
 */
export function localSubmission(body: unknown, nowMs: number, unique: number, taskTypes: readonly string[]): LocalSubmissionResult {
  if (!isPlainObject(body)) return { ok: false, problem: 'the task request must be a JSON object' };
  if (typeof body['data'] === 'string' && typeof body['type'] === 'string') return fromEvent(body);

  const data: JsonObject = { ...body };
  if (typeof data['task_type'] !== 'string' || data['task_type'] === '') return { ok: false, problem: `task_type is required (${taskTypes.join(', ')})` };
  const taskName = str(data['task_name']) || data['task_type'];
  data['task_name'] = taskName;
  const nanos = BigInt(nowMs) * 1_000_000n + BigInt(unique % 1_000_000);
  data['task_id'] = str(data['task_id']) || `task-${taskName}-${nanos.toString()}`;
  data['workflow_id'] = str(data['workflow_id']) || 'wf_local';
  data['execution_id'] = str(data['execution_id']) || 'ex_local';
  data['tenant_id'] = str(data['tenant_id']) || 'local';
  if (!isPlainObject(data['input'])) data['input'] = {};
  const taskId = data['task_id'] as string;
  const request: FlunqEvent = {
    id: `task-requested-${taskId}`,
    source: LOCAL_SOURCE,
    specversion: '1.0',
    type: TASK_REQUESTED,
    time: rfc3339Seconds(nowMs),
    workflowId: data['workflow_id'] as string,
    executionId: data['execution_id'] as string,
    taskId,
    tenantId: data['tenant_id'] as string,
    data: JSON.stringify(data),
    extensions: {},
  };
  return { ok: true, submission: { taskId, request } };
}

/** Flat attribute names of a flunq event and the properties they fill (the rest are extensions). */
const ATTRIBUTES: Record<string, keyof Omit<FlunqEvent, 'extensions'>> = {
  id: 'id',
  source: 'source',
  specversion: 'specversion',
  type: 'type',
  time: 'time',
  workflowid: 'workflowId',
  executionid: 'executionId',
  taskid: 'taskId',
  tenantid: 'tenantId',
  data: 'data',
};

function fromEvent(body: JsonObject): LocalSubmissionResult {
  if (body['type'] !== TASK_REQUESTED) return { ok: false, problem: `type must be ${TASK_REQUESTED}` };
  const request: FlunqEvent = { id: '', source: '', specversion: '', type: '', time: '', workflowId: '', executionId: '', taskId: '', tenantId: '', data: undefined, extensions: {} };
  const extensions: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string') return { ok: false, problem: `event attribute ${key} must be a string` };
    const attribute = ATTRIBUTES[key];
    if (attribute) request[attribute] = value;
    else extensions[key] = value;
  }
  request.extensions = extensions;
  const d = dataOf(request);
  const taskId = str(d['task_id']) || request.taskId;
  if (!taskId) return { ok: false, problem: 'the event has no task id (data.task_id or taskid)' };
  return { ok: true, submission: { taskId, request } };
}

function dataOf(event: FlunqEvent): JsonObject {
  try {
    const data: unknown = JSON.parse(event.data ?? '');
    return isPlainObject(data) ? data : {};
  } catch {
    return {};
  }
}

/** The workflow an event belongs to: its `workflowid` attribute, else `data.workflow_id`. */
export function workflowOf(event: FlunqEvent): string {
  return event.workflowId || str(dataOf(event)['workflow_id']);
}

/** Whether an event is the outcome of `taskId`: its completion or its dead letter. */
export function outcomeKind(event: FlunqEvent, taskId: string): 'completed' | 'dead_lettered' | undefined {
  if (event.type === TASK_DLQ) return event.taskId === taskId || str(dataOf(event)['task_id']) === taskId ? 'dead_lettered' : undefined;
  if (event.id === `task-completed-${taskId}`) return 'completed';
  return undefined;
}
