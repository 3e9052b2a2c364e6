import { DeadLetterStore, PurgeResult } from '../ports/dead-letter-store.port';
import { DeadLetterProblem, DeadLetterTargets, forEachTarget, targetsOf } from './dead-letter-filter';

export type PurgeDeadLettersInput = DeadLetterTargets;

export type PurgeOutcome = { location: string; messageId: string; purged: PurgeResult } | DeadLetterProblem;

/**
 * Deletes each dead letter for good, with its replay records and resolution; nothing else on its
 * stream is touched. What is not a dead letter (a request, an outcome, one purged already) is
 * refused, in its outcome, and does not stop the others. Throws DeadLetterStoreUnavailable,
 * without trying the rest, when the store cannot be reached. Cannot be undone: the callers ask
 * for a confirmation first.
 */
export class PurgeDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  async execute(input: PurgeDeadLettersInput): Promise<PurgeOutcome[]> {
    return forEachTarget(await targetsOf(this.store, input), async ({ location, messageId }) => ({ location, messageId, purged: await this.store.purge(location, messageId) }));
  }
}
