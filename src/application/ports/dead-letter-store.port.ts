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
  /** Dead letters of every workflow (or of the given locations), oldest first. Read-only. */
  list(locations?: readonly string[]): Promise<DeadLetterSummary[]>;
  /** One dead letter with its original payload, or undefined when `messageId` is not a dead letter at `location`. */
  get(location: string, messageId: string): Promise<DeadLetterRecord | undefined>;
  /**
   * Publishes the dead letter's original request again as a new `io.flunq.task.requested` event
   * next to it, leaves the dead letter in place, and records the replay. Not idempotent: each call
   * is a new replay. Throws when `messageId` is not a dead letter at `location`.
   */
  replay(location: string, messageId: string): Promise<ReplayRecord>;
  close(): Promise<void>;
}
