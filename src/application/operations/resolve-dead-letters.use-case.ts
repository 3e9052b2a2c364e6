import { DeadLetterResolution, DeadLetterStore } from '../ports/dead-letter-store.port';
import { DeadLetterProblem, DeadLetterTargets, forEachTarget, targetsOf } from './dead-letter-filter';

/** The longest note a resolution keeps, in characters. */
export const MAX_NOTE_CHARS = 1000;
/** The longest name of who resolved, in characters. */
export const MAX_BY_CHARS = 200;

export type ResolveDeadLettersInput = DeadLetterTargets & {
  /** Who resolves them (the CLI: the user and host; the console: how the operator signed in). */
  by: string;
  /** Why, or what was done about them; the same note for each. */
  note?: string;
};

export type ResolveOutcome = { location: string; messageId: string; resolved: DeadLetterResolution; alreadyResolved: boolean } | DeadLetterProblem;

/** Why a note cannot be kept, or undefined when it can. */
export function noteProblem(note: string): string | undefined {
  if (note.length > MAX_NOTE_CHARS) return `the note is ${note.length} characters long; at most ${MAX_NOTE_CHARS} are kept`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(note)) return 'the note holds control characters';
  return undefined;
}

/**
 * Marks each dead letter handled, with who and the note, next to it (the dead letters stay, and
 * leave the default listing). Idempotent: one resolved before keeps its first resolution, and its
 * outcome says so. One that cannot be resolved (not a dead letter, a failed write) does not stop
 * the others. Throws DeadLetterStoreUnavailable, without trying the rest, when the store cannot be
 * reached, and an Error before touching anything when the note cannot be kept (see `noteProblem`).
 */
export class ResolveDeadLetters {
  constructor(private readonly store: DeadLetterStore) {}

  async execute(input: ResolveDeadLettersInput): Promise<ResolveOutcome[]> {
    const note = input.note?.trim() ?? '';
    const problem = noteProblem(note);
    if (problem) throw new Error(problem);
    const by = input.by.trim().slice(0, MAX_BY_CHARS) || 'unknown';
    const request = note ? { by, note } : { by };
    return forEachTarget(await targetsOf(this.store, input), async ({ location, messageId }) => {
      const { resolution, alreadyResolved } = await this.store.resolve(location, messageId, request);
      return { location, messageId, resolved: resolution, alreadyResolved };
    });
  }
}
