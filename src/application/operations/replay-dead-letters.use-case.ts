import { DeadLetterStore, DeadLetterStoreUnavailable, ReplayRecord } from '../ports/dead-letter-store.port';

export interface ReplayDeadLettersInput {
  location: string;
  /** Dead letters at `location`, replayed in this order. */
  messageIds: readonly string[];
}

export type ReplayOutcome = { messageId: string; replayed: ReplayRecord } | { messageId: string; problem: string };

/**
 * Publishes each dead letter's original request again (the dead letters stay). One that cannot be
 * replayed (not a dead letter, a failed write) does not stop the others; its outcome says why.
 * Throws DeadLetterStoreUnavailable, without trying the rest, when the store cannot be reached.
 * Not idempotent: every call is a new replay of each.
 */
export class ReplayDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  async execute(input: ReplayDeadLettersInput): Promise<ReplayOutcome[]> {
    const outcomes: ReplayOutcome[] = [];
    for (const messageId of input.messageIds) {
      try {
        outcomes.push({ messageId, replayed: await this.store.replay(input.location, messageId) });
      } catch (error) {
        if (error instanceof DeadLetterStoreUnavailable) throw error;
        outcomes.push({ messageId, problem: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcomes;
  }
}
