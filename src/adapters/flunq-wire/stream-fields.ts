import { FlunqEvent, idempotencyKey, TASK_DLQ, TRACEPARENT_EXTENSION, TRACESTATE_EXTENSION } from '../../domain/flunq-event';
import { isPlainObject } from '../../domain/json';
import { utf8Length } from '../../domain/message-size';

/**
 * The flunq binding of a CloudEvent to one stream entry: flat string fields, the attributes under
 * their lower-case CloudEvents names (`id`, `source`, `specversion`, `type`, `time`, and the flunq
 * extensions `workflowid`, `executionid`, `taskid`, `tenantid`), the data as a JSON string in
 * `data`, and any other field as an extension.
 */
export type StreamFields = Readonly<Record<string, string>>;

const ATTRIBUTES = ['id', 'source', 'specversion', 'type', 'time', 'workflowid', 'executionid', 'taskid', 'tenantid', 'data'] as const;
const KNOWN: ReadonlySet<string> = new Set(ATTRIBUTES);

/** The event an entry carries (missing attributes are empty; every unknown field is an extension). */
export function eventFromFields(fields: StreamFields): FlunqEvent {
  const extensions: Record<string, string> = {};
  for (const name in fields) if (!KNOWN.has(name)) extensions[name] = fields[name] as string;
  return {
    id: fields['id'] ?? '',
    source: fields['source'] ?? '',
    specversion: fields['specversion'] ?? '',
    type: fields['type'] ?? '',
    time: fields['time'] ?? '',
    workflowId: fields['workflowid'] ?? '',
    executionId: fields['executionid'] ?? '',
    taskId: fields['taskid'] ?? '',
    tenantId: fields['tenantid'] ?? '',
    data: fields['data'],
    extensions,
  };
}

/**
 * The entry for an event, in the field order the flunq worker and the Go executor write: the
 * attributes, the flunq ids that are set (empty ones are omitted), the extensions, then `data`.
 */
export function fieldsFromEvent(event: FlunqEvent): Record<string, string> {
  const fields: Record<string, string> = { id: event.id, source: event.source, specversion: event.specversion, type: event.type, time: event.time };
  if (event.workflowId) fields['workflowid'] = event.workflowId;
  if (event.executionId) fields['executionid'] = event.executionId;
  if (event.taskId) fields['taskid'] = event.taskId;
  if (event.tenantId) fields['tenantid'] = event.tenantId;
  for (const [name, value] of Object.entries(event.extensions)) if (!KNOWN.has(name)) fields[name] = value;
  if (event.data !== undefined) fields['data'] = event.data;
  return fields;
}

/**
 * The size of an entry in bytes (every field name and value, UTF-8, without the protocol framing).
 * Entries far within `countBeyond` are not scanned for multi-byte characters: a UTF-16 code unit is
 * at most 3 bytes, so their length times 3 is returned as an upper bound that is still within it.
 */
export function entrySize(fields: StreamFields, countBeyond = 0): number {
  let units = 0;
  for (const name in fields) units += name.length + (fields[name] as string).length;
  if (units * 3 <= countBeyond) return units;
  let bytes = 0;
  for (const name in fields) bytes += utf8Length(name) + utf8Length(fields[name] as string);
  return bytes;
}

/**
 * A dead-letter entry: a copy of the request entry with type `io.flunq.task.dlq`, the original
 * `data` kept byte for byte (absent when it was absent), a `reason` and the attempt count.
 */
export function deadLetterFields(
  original: StreamFields,
  reason: string,
  attempt: number,
  omitData?: { entryId: string },
  trace?: { traceparent: string; tracestate?: string },
): Record<string, string> {
  const fields: Record<string, string> = { ...original, type: TASK_DLQ, reason, attempt: String(attempt) };
  if (trace) {
    // The task span's context in place of the request's, so that the worker continues the trace.
    fields[TRACEPARENT_EXTENSION] = trace.traceparent;
    if (trace.tracestate) fields[TRACESTATE_EXTENSION] = trace.tracestate;
    else delete fields[TRACESTATE_EXTENSION];
  }
  if (omitData && fields['data'] !== undefined) {
    // Too large to be stored twice: the request entry (named here) keeps it, and a replay reads it from there.
    fields[DATA_OMITTED_BYTES] = String(utf8Length(fields['data']));
    fields[DATA_KEPT_IN] = omitData.entryId;
    delete fields['data'];
  }
  return fields;
}

/** On a dead letter whose data was left out: how many bytes, and the request entry that holds them. */
export const DATA_OMITTED_BYTES = 'data_omitted_bytes';
export const DATA_KEPT_IN = 'data_kept_in';

/**
 * The idempotency key of the task an entry carries (empty when it names none), derived here once for
 * the inbox and the adapters that claim tasks when they hand them out. The task id is the `taskid`
 * field, or (only when that is missing) `data.task_id`, for events written without the flunq extension.
 */
export function taskKeyOf(fields: StreamFields): string {
  const taskId = fields['taskid'] || taskIdInData(fields['data']);
  return taskId ? idempotencyKey(taskId, { extensions: fields }) : '';
}

function taskIdInData(data: string | undefined): string {
  if (data === undefined) return '';
  try {
    const parsed: unknown = JSON.parse(data);
    return isPlainObject(parsed) && typeof parsed['task_id'] === 'string' ? parsed['task_id'] : '';
  } catch {
    return '';
  }
}
