import { isPlainObject, JsonObject } from './json';
import { TASK_DLQ, TASK_REQUESTED } from './task-request';
import { rfc3339Seconds } from './time-format';

/** A task request built for local submission (embedded mode, CLI runner, demo). */
export interface LocalSubmission {
  stream: string;
  taskId: string;
  entry: Record<string, string>;
}

export type LocalSubmissionResult = { ok: true; submission: LocalSubmission } | { ok: false; problem: string };

export const LOCAL_SOURCE = 'worker-service';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The per-workflow stream key, with `default` for empty parts (protocol section a). */
export function workflowStream(tenantId: string, workflowId: string): string {
  return `tenant:${tenantId || 'default'}:workflow:${workflowId || 'default'}:events`;
}

/**
 * Accepts either the `data` object of a flunq task request (what the worker writes as JSON) or
 * a whole stream entry (`{ "type": "io.flunq.task.requested", "data": "<json>" , … }`). Missing
 * ids get local defaults so that the request is complete: `task_id` becomes
 * `task-<task_name>-<nanos>` (the worker's pattern), workflow and execution ids `wf_local` /
 * `ex_local`, and the tenant `local`.
 */
export function localSubmission(body: unknown, nowMs: number, unique: number): LocalSubmissionResult {
  if (!isPlainObject(body)) return { ok: false, problem: 'the task request must be a JSON object' };
  if (typeof body['data'] === 'string' && typeof body['type'] === 'string') return fromStreamEntry(body);

  const data: JsonObject = { ...body };
  if (typeof data['task_type'] !== 'string' || data['task_type'] === '') return { ok: false, problem: 'task_type is required (call, set, inject, wait, try)' };
  const taskName = str(data['task_name']) || data['task_type'];
  data['task_name'] = taskName;
  const nanos = BigInt(nowMs) * 1_000_000n + BigInt(unique % 1_000_000);
  data['task_id'] = str(data['task_id']) || `task-${taskName}-${nanos.toString()}`;
  data['workflow_id'] = str(data['workflow_id']) || 'wf_local';
  data['execution_id'] = str(data['execution_id']) || 'ex_local';
  data['tenant_id'] = str(data['tenant_id']) || 'local';
  if (!isPlainObject(data['input'])) data['input'] = {};
  const taskId = data['task_id'] as string;
  const entry: Record<string, string> = {
    id: `task-requested-${taskId}`,
    source: LOCAL_SOURCE,
    specversion: '1.0',
    type: TASK_REQUESTED,
    time: rfc3339Seconds(nowMs),
    workflowid: data['workflow_id'] as string,
    executionid: data['execution_id'] as string,
    taskid: taskId,
    tenantid: data['tenant_id'] as string,
    data: JSON.stringify(data),
  };
  return { ok: true, submission: { stream: workflowStream(entry['tenantid'] ?? '', entry['workflowid'] ?? ''), taskId, entry } };
}

function fromStreamEntry(body: JsonObject): LocalSubmissionResult {
  if (body['type'] !== TASK_REQUESTED) return { ok: false, problem: `type must be ${TASK_REQUESTED}` };
  const entry: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string') return { ok: false, problem: `stream field ${key} must be a string` };
    entry[key] = value;
  }
  let data: unknown;
  try {
    data = JSON.parse(entry['data'] ?? '');
  } catch {
    data = undefined;
  }
  const d = isPlainObject(data) ? data : {};
  const taskId = str(d['task_id']) || (entry['taskid'] ?? '');
  if (!taskId) return { ok: false, problem: 'the entry has no task id (data.task_id or taskid)' };
  const stream = workflowStream(entry['tenantid'] ?? '', entry['workflowid'] || str(d['workflow_id']));
  return { ok: true, submission: { stream, taskId, entry } };
}

/** Whether a stream entry is the outcome of `taskId`: its completion or its dead letter. */
export function outcomeKind(fields: Readonly<Record<string, string>>, taskId: string): 'completed' | 'dead_lettered' | undefined {
  if (fields['type'] === TASK_DLQ) return fields['taskid'] === taskId || entryTaskId(fields) === taskId ? 'dead_lettered' : undefined;
  if (fields['id'] === `task-completed-${taskId}`) return 'completed';
  return undefined;
}

function entryTaskId(fields: Readonly<Record<string, string>>): string {
  try {
    const data: unknown = JSON.parse(fields['data'] ?? '');
    return isPlainObject(data) ? str(data['task_id']) : '';
  } catch {
    return '';
  }
}
