import { DeadLetterStore } from '../ports/dead-letter-store.port';
import { DeadLetterFilter, DeadLetterListing, listMatching } from './dead-letter-filter';

export type ListDeadLettersInput = DeadLetterFilter;

/** The dead letters an operator may inspect or replay, oldest first, with their replay counts. Read-only. */
export class ListDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  execute(input: ListDeadLettersInput = {}): Promise<DeadLetterListing[]> {
    return listMatching(this.store, input);
  }
}
