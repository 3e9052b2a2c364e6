/**
 * A task's history out of flunq's flat fields, shared by every backend that carries them: which
 * entries concern a task (its id matched exactly, never as a prefix) and what an operator needs of
 * each. The backends only walk their entries, under a `ScanBudget`, and hand the fields here.
 */
import { Clock } from '../../application/ports/clock.port';
import { TaskHistoryEntry, TaskHistoryFound, TaskHistoryKind } from '../../application/ports/task-history.port';
import { REPLAY_EXTENSION, REPLAY_OF_EXTENSION, TASK_COMPLETED, TASK_DLQ, TASK_REQUESTED, TRACEPARENT_EXTENSION } from '../../domain/flunq-event';
import { isPlainObject } from '../../domain/json';
import { parsedData } from './dead-letters';
import { StreamFields } from './stream-fields';

const KINDS: Readonly<Record<string, TaskHistoryKind>> = { [TASK_REQUESTED]: 'requested', [TASK_COMPLETED]: 'completed', [TASK_DLQ]: 'dead_lettered' };
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function positiveInteger(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Cheap test before any parsing: an entry that concerns the task has its id in some value (the
 * `taskid` field, the event id or the data). Most entries of a stream fail it.
 */
export function mayConcern(taskId: string, fields: StreamFields): boolean {
  for (const name in fields) if ((fields[name] as string).includes(taskId)) return true;
  return false;
}

/** The task ids an entry names: the `taskid` field, `data.task_id`, and for an outcome the id in its event id. */
function namesTask(taskId: string, fields: StreamFields, data: Record<string, unknown>): boolean {
  if (fields['taskid'] === taskId || data['task_id'] === taskId) return true;
  // Outcomes written without either (an old Go executor) still name the task in their event id.
  return fields['type'] !== TASK_REQUESTED && !fields['taskid'] && data['task_id'] === undefined && (fields['id'] ?? '').replace(/^task-(completed|requested)-/, '') === taskId;
}

/** The history entry for an entry of the task, or undefined when the entry is not one of the task's events. */
export function historyEntryOf(taskId: string, location: string, messageId: string, recordedAtMs: number, fields: StreamFields): TaskHistoryEntry | undefined {
  const kind = KINDS[fields['type'] ?? ''];
  if (!kind || !mayConcern(taskId, fields)) return undefined;
  const data = parsedData(fields);
  if (!namesTask(taskId, fields, data)) return undefined;
  const entry: TaskHistoryEntry = {
    kind,
    location,
    messageId,
    recordedAtMs,
    time: fields['time'] ?? '',
    eventId: fields['id'] ?? '',
    source: fields['source'] ?? '',
    taskId,
    taskName: str(data['task_name']),
    taskType: str(data['task_type']),
    workflowId: fields['workflowid'] || str(data['workflow_id']),
    executionId: fields['executionid'] || str(data['execution_id']),
    tenantId: fields['tenantid'] || str(data['tenant_id']),
  };
  const trace = TRACEPARENT.exec(fields[TRACEPARENT_EXTENSION] ?? '');
  if (trace) entry.traceId = trace[1];
  if (kind === 'requested') {
    const replay = positiveInteger(fields[REPLAY_EXTENSION]);
    if (replay !== undefined && fields[REPLAY_OF_EXTENSION]) {
      entry.replay = replay;
      entry.replayOf = fields[REPLAY_OF_EXTENSION];
    }
  } else if (kind === 'completed') {
    completionDetails(entry, data);
  } else {
    entry.reason = fields['reason'] ?? '(none recorded)';
    entry.attempt = positiveInteger(fields['attempt']) ?? 1;
  }
  return entry;
}

/** The outcome of a completion's payload: success, the error's code and text, the output as stored. */
function completionDetails(entry: TaskHistoryEntry, data: Record<string, unknown>): void {
  if (typeof data['success'] === 'boolean') entry.success = data['success'];
  const attempt = data['attempt'];
  if (typeof attempt === 'number' && Number.isInteger(attempt) && attempt > 0) entry.attempt = attempt;
  if (typeof data['duration_ms'] === 'number') entry.durationMs = data['duration_ms'];
  if ('output' in data) entry.output = data['output'];
  const details = data['error_details'];
  const code = isPlainObject(details) && isPlainObject(details['data']) ? details['data']['code'] : undefined;
  if (typeof code === 'string' && code) entry.errorCode = code;
  const error = str(data['error']) || (isPlainObject(details) ? str(details['detail']) : '');
  if (error) entry.error = error;
}

/**
 * The bounds of one search: at most `limit` entries examined and `timeLimitMs` spent. Backends ask
 * before each batch how many entries they may still read, and stop when it says none.
 */
export class ScanBudget {
  private examined = 0;
  private stopped: 'limit' | 'time' | undefined;
  private readonly deadline: number;

  constructor(
    private readonly limit: number,
    timeLimitMs: number,
    private readonly clock: Clock,
  ) {
    this.deadline = clock.now() + timeLimitMs;
  }

  /**
   * How many entries the next batch may hold; 0: stop, and the result says the search was cut short
   * (backends ask only when something is left to read).
   */
  allowance(batch: number): number {
    if (this.stopped) return 0;
    if (this.examined >= this.limit) this.stopped = 'limit';
    else if (this.clock.now() >= this.deadline) this.stopped = 'time';
    return this.stopped ? 0 : Math.min(batch, this.limit - this.examined);
  }

  /** Records `n` entries examined. */
  spend(n: number): void {
    this.examined += n;
  }

  /** The result of the search: the entries in stored order (stable for equal times). */
  result(entries: TaskHistoryEntry[]): TaskHistoryFound {
    const sorted = entries.map((e, i) => [e, i] as const).sort((a, b) => a[0].recordedAtMs - b[0].recordedAtMs || a[1] - b[1]).map(([e]) => e);
    return { entries: sorted, examined: this.examined, ...(this.stopped ? { cutShort: this.stopped } : {}) };
  }
}
