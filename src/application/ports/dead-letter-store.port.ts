import { FlunqEvent } from '../../domain/flunq-event';

/**
 * What an operator sees of one dead letter. `location` and `messageId` say where it is in the
 * backend's own terms (a stream and an entry id, a subject and a sequence); they are opaque here.
 */
export interface DeadLetterSummary {
  location: string;
  messageId: string;
  eventId: string;
  taskId: string;
  taskName: string;
  taskType: string;
  workflowId: string;
  executionId: string;
  tenantId: string;
  reason: string;
  attempts: number;
  /** Age in ms. */
  ageMs: number;
  /** Replays done so far. */
  replays: number;
  /** `resolved` once an operator marked it handled, else `replayed` once replayed, else `open`. */
  status: DeadLetterStatus;
  /** Present when resolved. */
  resolution?: DeadLetterResolution;
}

/** Where an operator stands with a dead letter (see `statusOf`). */
export type DeadLetterStatus = 'open' | 'replayed' | 'resolved';

export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['open', 'replayed', 'resolved'];

/** An operator's mark that a dead letter is handled; kept next to it until it is purged. */
export interface DeadLetterResolution {
  /** RFC 3339, when it was resolved. */
  resolvedAt: string;
  /** Who resolved it, as the caller names them (`alice@ops-1` from the CLI, `console (login, 10.0.0.7)`). */
  by: string;
  /** Why, or what was done about it; absent when none was given. */
  note?: string;
}

/** What an operator gives when resolving: who they are, and an optional note. */
export interface ResolveRequest {
  by: string;
  note?: string;
}

export interface ResolveResult {
  /** The resolution in force: this call's, or the earlier one when it was resolved already. */
  resolution: DeadLetterResolution;
  /** True when it was resolved before this call (which then changed nothing). */
  alreadyResolved: boolean;
}

/** What a purge deleted besides the dead letter itself. */
export interface PurgeResult {
  /** Replay records deleted with it (the replayed requests themselves stay on the stream). */
  replayRecords: number;
  /** Whether its resolution was deleted with it. */
  resolution: boolean;
}

/** The status of a dead letter with these replays and resolution. */
export function statusOf(replays: number, resolution: DeadLetterResolution | undefined): DeadLetterStatus {
  if (resolution) return 'resolved';
  return replays > 0 ? 'replayed' : 'open';
}

export interface DeadLetterRecord {
  summary: DeadLetterSummary;
  /** The dead letter as an event: the original request's attributes and data (verbatim), `reason` and `attempt` among the extensions. */
  event: FlunqEvent;
  /** Replays done so far. */
  replays: ReplayRecord[];
}

export interface ReplayRecord {
  /** Where the dead letter and its replay live. */
  location: string;
  deadLetterId: string;
  /** 1 for the first replay of this dead letter. */
  replay: number;
  /** The message id of the new `task.requested` message. */
  messageId: string;
  /** Its CloudEvent id (`task-requested-<task_id>-replay-<n>`). */
  eventId: string;
  /** RFC 3339. */
  replayedAt: string;
}

/**
 * The store cannot be reached, or refuses the credentials: nothing was read or written. The
 * message is one line for an operator (where, and what to check), without secrets.
 */
export class DeadLetterStoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterStoreUnavailable';
  }
}

/**
 * Dead letters (`io.flunq.task.dlq` events) next to the workflows' events, for operators.
 * Every method throws DeadLetterStoreUnavailable when the store cannot be reached.
 */
export interface DeadLetterStore {
  /** Dead letters of every workflow (or of the given locations), oldest first, with their replay counts and status. Read-only. */
  list(locations?: readonly string[]): Promise<DeadLetterSummary[]>;
  /** One dead letter with its original payload, or undefined when `messageId` is not a dead letter at `location`. */
  get(location: string, messageId: string): Promise<DeadLetterRecord | undefined>;
  /**
   * Publishes the dead letter's original request again as a new `io.flunq.task.requested` event
   * next to it, leaves the dead letter in place, and records the replay. Not idempotent: each call
   * is a new replay. Throws when `messageId` is not a dead letter at `location`.
   */
  replay(location: string, messageId: string): Promise<ReplayRecord>;
  /**
   * Marks the dead letter handled, recording who, when and the note next to it (the dead letter
   * itself is not modified). Idempotent: resolving a resolved one keeps the first resolution and
   * says so. Throws when `messageId` is not a dead letter at `location`.
   */
  resolve(location: string, messageId: string, request: ResolveRequest): Promise<ResolveResult>;
  /**
   * Deletes the dead letter for good, with its replay records and resolution; nothing else at
   * `location` is touched (not the original request, not the replayed requests). Throws when
   * `messageId` is not a dead letter at `location` (a request, an outcome, or one purged already).
   */
  purge(location: string, messageId: string): Promise<PurgeResult>;
  close(): Promise<void>;
}
