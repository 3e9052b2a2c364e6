import { SubmitTaskInput } from '../../application/operations/submit-task.use-case';
import { FlunqEvent, TASK_DLQ } from '../../domain/flunq-event';
import { isPlainObject } from '../../domain/json';
import { eventFromFields } from './stream-fields';

/**
 * A task request given by hand (`POST /tasks`, `flunq-executor run`) as the use case takes it: a
 * whole event in its flat form (`{ "type": "io.flunq.task.requested", "data": "<json>", … }`, as the
 * flunq worker writes it to a stream) decoded here, anything else passed on as the request's `data`.
 */
export function submissionInput(body: unknown): SubmitTaskInput | { problem: string } {
  if (!isPlainObject(body) || typeof body['data'] !== 'string' || typeof body['type'] !== 'string') return { request: body };
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string') return { problem: `event attribute ${key} must be a string` };
    fields[key] = value;
  }
  return { event: eventFromFields(fields) };
}

function dataField(event: FlunqEvent, name: string): string {
  try {
    const data: unknown = JSON.parse(event.data ?? '');
    const value = isPlainObject(data) ? data[name] : undefined;
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/** The workflow an event belongs to: its `workflowid` attribute, else `data.workflow_id`. */
export function workflowOf(event: FlunqEvent): string {
  return event.workflowId || dataField(event, 'workflow_id');
}

/** Whether an event is the outcome of `taskId`: its completion or its dead letter. */
export function outcomeKind(event: FlunqEvent, taskId: string): 'completed' | 'dead_lettered' | undefined {
  if (event.type === TASK_DLQ) return event.taskId === taskId || dataField(event, 'task_id') === taskId ? 'dead_lettered' : undefined;
  if (event.id === `task-completed-${taskId}`) return 'completed';
  return undefined;
}
