import { DeadLetterRecord, DeadLetterStore } from '../ports/dead-letter-store.port';

export interface ShowDeadLetterInput {
  location: string;
  messageId: string;
}

/** One dead letter with its original request and its replays; undefined when there is no such dead letter. Read-only. */
export class ShowDeadLetter {
  constructor(private readonly store: DeadLetterStore) {}

  execute(input: ShowDeadLetterInput): Promise<DeadLetterRecord | undefined> {
    return this.store.get(input.location, input.messageId);
  }
}
