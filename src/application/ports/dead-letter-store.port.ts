import { DeadLetterSummary } from '../../domain/dead-letter-replay';

export interface DeadLetterRecord {
  summary: DeadLetterSummary;
  /** Every stream field of the dead-letter entry, `data` verbatim. */
  fields: Record<string, string>;
  /** Replays done so far. */
  replays: ReplayRecord[];
}

export interface ReplayRecord {
  /** Where the dead letter and its replay live. */
  stream: string;
  deadLetterId: string;
  /** 1 for the first replay of this dead letter. */
  replay: number;
  /** The stream entry id of the new `task.requested` entry. */
  entryId: string;
  /** Its CloudEvent id (`task-requested-<task_id>-replay-<n>`). */
  eventId: string;
  /** RFC 3339. */
  replayedAt: string;
}

/**
 * Dead letters (`io.flunq.task.dlq` entries) on the workflow streams, for operators.
 * Every method throws when the store is unreachable.
 */
export interface DeadLetterStore {
  /** Dead letters of every workflow stream (or of `streams`), oldest first. Read-only. */
  list(streams?: readonly string[]): Promise<DeadLetterSummary[]>;
  /** One dead letter with its original payload, or undefined when `entryId` is not a dead letter of `stream`. */
  get(stream: string, entryId: string): Promise<DeadLetterRecord | undefined>;
  /**
   * Appends the dead letter's original request again as a new `io.flunq.task.requested` entry
   * on the same stream, leaves the dead letter in place, and records the replay. Not idempotent:
   * each call is a new replay. Throws when `entryId` is not a dead letter of `stream`.
   */
  replay(stream: string, entryId: string): Promise<ReplayRecord>;
  close(): Promise<void>;
}
