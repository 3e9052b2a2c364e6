import { FlunqEvent, TASK_REQUESTED } from './flunq-event';
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
 * Completes the `data` object of a flunq task request (what the worker writes as JSON). Missing
 * ids get local defaults so that the request is complete: `task_id` becomes
 * `task-<task_name>-<nanos>` (the worker's pattern), workflow and execution ids `wf_local` /
 * `ex_local`, and the tenant `local`. `taskTypes` (the supported ones) are named when `task_type` is missing.
 */
export function localSubmission(body: unknown, nowMs: number, unique: number, taskTypes: readonly string[]): LocalSubmissionResult {
  if (!isPlainObject(body)) return { ok: false, problem: 'the task request must be a JSON object' };

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

/** A whole `task.requested` event given by hand (already decoded from its wire form by an adapter). */
export function submissionOfEvent(request: FlunqEvent): LocalSubmissionResult {
  if (request.type !== TASK_REQUESTED) return { ok: false, problem: `type must be ${TASK_REQUESTED}` };
  const taskId = str(dataOf(request)['task_id']) || request.taskId;
  if (!taskId) return { ok: false, problem: 'the event has no task id (data.task_id or the taskid attribute)' };
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
