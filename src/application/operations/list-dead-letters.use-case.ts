import { DeadLetterStore } from '../ports/dead-letter-store.port';
import { DeadLetterFilter, DeadLetterListing, listMatching } from './dead-letter-filter';

export type ListDeadLettersInput = DeadLetterFilter;

/**
 * The dead letters an operator may inspect, replay, resolve or purge, oldest first, with their
 * replay counts and status (every status unless the filter names some). Read-only.
 */
export class ListDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  execute(input: ListDeadLettersInput = {}): Promise<DeadLetterListing[]> {
    return listMatching(this.store, input);
  }
}
