/**
 * What the backend holds about one task, for operators: its requests (the first one, replays and
 * copies published again), its outcomes and its dead letters. Read-only; nothing here is ever
 * written by the executor for this purpose, the history is the workflow's own events.
 */

/** `requested`: a task.requested event; `completed`: a task.completed; `dead_lettered`: a task.dlq. */
export type TaskHistoryKind = 'requested' | 'completed' | 'dead_lettered';

export interface TaskHistoryEntry {
  kind: TaskHistoryKind;
  /** Where the entry is, in the backend's own terms (opaque here): a workflow's place and a message id. */
  location: string;
  messageId: string;
  /** When the backend stored it, ms since the epoch (what the history is ordered by). */
  recordedAtMs: number;
  /** The event's own `time` attribute (RFC 3339, as written). */
  time: string;
  eventId: string;
  source: string;
  taskId: string;
  taskName: string;
  taskType: string;
  workflowId: string;
  executionId: string;
  tenantId: string;
  /** The W3C trace id of the event's trace context, when it carries one. */
  traceId?: string;
  /** A replayed request: which replay of a dead letter it is, and where that dead letter is (opaque). */
  replay?: number;
  replayOf?: string;
  /** Completions and dead letters: the delivery attempt that produced them. */
  attempt?: number;
  /** Completions: whether the task succeeded, the error's code and detail, the output as stored (already redacted). */
  success?: boolean;
  errorCode?: string;
  error?: string;
  output?: unknown;
  durationMs?: number;
  /** Dead letters: why the request could not be run. */
  reason?: string;
}

export interface TaskHistoryQuery {
  /** Only these places (the backend's own names); default: every workflow's. */
  locations?: readonly string[];
  /** Only the workflow with this id (any tenant): much less to read when it is known. */
  workflowId?: string;
  /** Most entries examined before the search gives up (default: the adapter's). */
  limit?: number;
  /** Longest search, ms (default: the adapter's). */
  timeLimitMs?: number;
}

export interface TaskHistoryFound {
  /** The task's entries, in the order the backend stored them. */
  entries: TaskHistoryEntry[];
  /** Entries examined. */
  examined: number;
  /** Set when the search stopped before it had read everything it should: `limit` or `time`. */
  cutShort?: 'limit' | 'time';
}

/**
 * The task's own id (`task_id`), matched exactly: `task-1` never finds `task-10`. Throws
 * TaskHistoryUnavailable when the backend cannot be reached.
 */
export interface TaskHistory {
  find(taskId: string, query?: TaskHistoryQuery): Promise<TaskHistoryFound>;
  close(): Promise<void>;
}

/** The backend cannot be reached or refuses the credentials; the message is one line for an operator, without secrets. */
export class TaskHistoryUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskHistoryUnavailable';
  }
}

/** Defaults of the search bounds: enough for a busy day of a small installation, never an unbounded read. */
export const DEFAULT_HISTORY_LIMIT = 1_000_000;
export const DEFAULT_HISTORY_TIME_LIMIT_MS = 30_000;
