import { DeadLetterStore, ReplayRecord } from '../ports/dead-letter-store.port';
import { DeadLetterProblem, DeadLetterTargets, forEachTarget, targetsOf } from './dead-letter-filter';

/** Named dead letters at one location or anywhere, or every dead letter that matches a filter (`dlq replay --all`). */
export type ReplayDeadLettersInput = DeadLetterTargets;

export type ReplayOutcome = { location: string; messageId: string; replayed: ReplayRecord } | DeadLetterProblem;

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
    return forEachTarget(await targetsOf(this.store, input), async ({ location, messageId }) => ({ location, messageId, replayed: await this.store.replay(location, messageId) }));
  }
}
