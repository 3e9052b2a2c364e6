import { DeadLetterResolution, DeadLetterSummary, statusOf } from '../../application/ports/dead-letter-store.port';
import { REPLAY_EXTENSION, REPLAY_OF_EXTENSION, TASK_COMPLETED, TASK_DLQ, TASK_REQUESTED } from '../../domain/flunq-event';
import { isPlainObject } from '../../domain/json';
import { rfc3339Seconds } from '../../domain/time-format';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Milliseconds since the epoch encoded in a Redis stream id (`<ms>-<seq>`). */
export function entryIdTime(entryId: string): number {
  const ms = Number(entryId.split('-')[0]);
  return Number.isFinite(ms) ? ms : 0;
}

export function isDeadLetter(fields: Readonly<Record<string, string>>): boolean {
  return fields['type'] === TASK_DLQ;
}

export function parsedData(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(fields['data'] ?? '');
    return isPlainObject(data) ? data : {};
  } catch {
    return {};
  }
}

/** What a store keeps beside a dead letter: how often it was replayed, and its resolution. */
export interface DeadLetterMarks {
  replays: number;
  resolution?: DeadLetterResolution | undefined;
}

export function summarizeDeadLetter(stream: string, entryId: string, fields: Readonly<Record<string, string>>, nowMs: number, marks: DeadLetterMarks = { replays: 0 }): DeadLetterSummary {
  const data = parsedData(fields);
  const attempts = Number(fields['attempt']);
  const summary: DeadLetterSummary = {
    location: stream,
    messageId: entryId,
    eventId: fields['id'] ?? '',
    taskId: str(data['task_id']) || (fields['taskid'] ?? ''),
    taskName: str(data['task_name']),
    taskType: str(data['task_type']),
    workflowId: fields['workflowid'] || str(data['workflow_id']),
    executionId: fields['executionid'] || str(data['execution_id']),
    tenantId: fields['tenantid'] ?? '',
    // Go's dead letters carry no reason (it was an extension that never reached Redis).
    reason: fields['reason'] ?? '(none recorded)',
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 1,
    ageMs: Math.max(0, nowMs - entryIdTime(entryId)),
    replays: marks.replays,
    status: statusOf(marks.replays, marks.resolution),
  };
  if (marks.resolution) summary.resolution = marks.resolution;
  return summary;
}

/** A stored resolution (JSON), or undefined when it cannot be read as one. */
export function parseResolution(text: string | undefined): DeadLetterResolution | undefined {
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (typeof raw['resolvedAt'] !== 'string') return undefined;
    const resolution: DeadLetterResolution = { resolvedAt: raw['resolvedAt'], by: typeof raw['by'] === 'string' ? raw['by'] : '' };
    if (typeof raw['note'] === 'string' && raw['note'] !== '') resolution.note = raw['note'];
    return resolution;
  } catch {
    return undefined;
  }
}

/** A resolution as stored next to a dead letter. */
export function resolutionOf(request: { by: string; note?: string | undefined }, nowMs: number): DeadLetterResolution {
  const resolution: DeadLetterResolution = { resolvedAt: rfc3339Seconds(nowMs), by: request.by };
  if (request.note) resolution.note = request.note;
  return resolution;
}

/**
 * A new `io.flunq.task.requested` entry from a dead letter: every original field kept (the
 * `data` string byte for byte), type restored, a new event id `task-requested-<task_id>-replay-<n>`,
 * the current time, and `replay_of` / `replay` naming the dead letter and the replay number.
 * The dead-letter bookkeeping fields (`reason`, `attempt`) are dropped.
 */
export function replayEntry(stream: string, deadLetterId: string, fields: Readonly<Record<string, string>>, replayNumber: number, nowMs: number): Record<string, string> {
  const { reason: _reason, attempt: _attempt, ...original } = fields;
  const summary = summarizeDeadLetter(stream, deadLetterId, fields, nowMs);
  const base = summary.taskId ? `task-requested-${summary.taskId}` : fields['id'] || `task-requested-${deadLetterId}`;
  return {
    ...original,
    id: `${base}-replay-${replayNumber}`,
    type: TASK_REQUESTED,
    time: rfc3339Seconds(nowMs),
    [REPLAY_OF_EXTENSION]: `${stream}|${deadLetterId}`,
    [REPLAY_EXTENSION]: String(replayNumber),
  };
}

/**
 * The task whose outcome an entry records, when it is a completion or a dead letter (as any
 * executor writes them: the Go one puts the task id in `taskid`, or only in the event id).
 * A consumer group reading a stream's history uses it to learn which requests already have one.
 */
export function outcomeTaskId(fields: Readonly<Record<string, string>>): string | undefined {
  const type = fields['type'];
  if (type !== TASK_COMPLETED && type !== TASK_DLQ) return undefined;
  return fields['taskid'] || (fields['id'] ?? '').replace(/^task-(completed|requested)-/, '') || undefined;
}
