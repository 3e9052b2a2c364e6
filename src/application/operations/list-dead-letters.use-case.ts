import { DeadLetterStore, DeadLetterSummary } from '../ports/dead-letter-store.port';

export interface ListDeadLettersInput {
  /** Only these locations (opaque: stream names); empty or absent: every workflow's. */
  locations?: readonly string[];
}

/** The dead letters an operator may inspect or replay, oldest first. Read-only. */
export class ListDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  execute(input: ListDeadLettersInput = {}): Promise<DeadLetterSummary[]> {
    return this.store.list(input.locations);
  }
}
