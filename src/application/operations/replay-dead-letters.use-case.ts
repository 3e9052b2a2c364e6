import { DeadLetterStore, DeadLetterStoreUnavailable, ReplayRecord } from '../ports/dead-letter-store.port';
import { DeadLetterFilter, listMatching } from './dead-letter-filter';

/** Named dead letters at one location, or every dead letter that matches a filter (`dlq replay --all`). */
export type ReplayDeadLettersInput =
  | {
      location: string;
      /** Dead letters at `location`, replayed in this order. */
      messageIds: readonly string[];
    }
  | { matching: DeadLetterFilter };

export type ReplayOutcome = { location: string; messageId: string; replayed: ReplayRecord } | { location: string; messageId: string; problem: string };

/**
 * Publishes each dead letter's original request again (the dead letters stay). One that cannot be
 * replayed (not a dead letter, a failed write) does not stop the others; its outcome says why.
 * Throws DeadLetterStoreUnavailable, without trying the rest, when the store cannot be reached.
 * Not idempotent: every call is a new replay of each (`notReplayed` in a filter leaves out those
 * replayed before).
 */
export class ReplayDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  async execute(input: ReplayDeadLettersInput): Promise<ReplayOutcome[]> {
    const targets =
      'matching' in input
        ? (await listMatching(this.store, input.matching, { countReplays: false })).map((d) => ({ location: d.location, messageId: d.messageId }))
        : input.messageIds.map((messageId) => ({ location: input.location, messageId }));
    const outcomes: ReplayOutcome[] = [];
    for (const { location, messageId } of targets) {
      try {
        outcomes.push({ location, messageId, replayed: await this.store.replay(location, messageId) });
      } catch (error) {
        if (error instanceof DeadLetterStoreUnavailable) throw error;
        outcomes.push({ location, messageId, problem: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcomes;
  }
}
