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

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * The W3C trace context of an HTTP request's `traceparent` / `tracestate` headers; undefined when
 * there is none or it is malformed (version ff, an all-zero trace or parent id, wrong lengths).
 */
export function traceHeaders(headers: Record<string, string | string[] | undefined>): { traceparent: string; tracestate?: string } | undefined {
  const traceparent = headers['traceparent'];
  if (typeof traceparent !== 'string') return undefined;
  const value = traceparent.trim().toLowerCase();
  const m = TRACEPARENT.exec(value);
  if (!m || value.startsWith('ff') || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  const tracestate = headers['tracestate'];
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return state && state.length <= 512 ? { traceparent: value, tracestate: state } : { traceparent: value };
}
