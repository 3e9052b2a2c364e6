import { DeadLetterStatus, DeadLetterStore, DeadLetterStoreUnavailable, DeadLetterSummary } from '../ports/dead-letter-store.port';

/** Which dead letters an operator means; every criterion given must hold. */
export interface DeadLetterFilter {
  /** Only these locations (opaque: stream names); empty or absent: every workflow's. */
  locations?: readonly string[];
  /** Only dead letters of this workflow id. */
  workflowId?: string;
  /** Only those whose reason contains this text (case-insensitive): an error code such as `PUBLICATION_FAILED`, or words of the detail. */
  reason?: string;
  /** Only dead letters at least this old, in ms. */
  olderThanMs?: number;
  /** Only those never replayed. */
  notReplayed?: boolean;
  /** Only those with one of these statuses; empty or absent: any status. */
  statuses?: readonly DeadLetterStatus[];
}

/** The statuses an operator sees unless they ask for others: every dead letter not resolved yet. */
export const UNRESOLVED: readonly DeadLetterStatus[] = ['open', 'replayed'];

/** A dead letter as listed for an operator (its summary carries the replay count and status). */
export type DeadLetterListing = DeadLetterSummary;

/** One dead letter, by where it is. */
export interface DeadLetterRef {
  location: string;
  messageId: string;
}

/**
 * The dead letters an operation acts on: named ones at one location (`dlq replay <stream> <id>…`),
 * named ones anywhere (the console's selection), or every one that matches a filter (`--all`).
 */
export type DeadLetterTargets = { location: string; messageIds: readonly string[] } | { items: readonly DeadLetterRef[] } | { matching: DeadLetterFilter };

/** The outcome of an operation on one dead letter that could not be done: `problem` says why. */
export interface DeadLetterProblem extends DeadLetterRef {
  problem: string;
}

function matches(summary: DeadLetterSummary, filter: DeadLetterFilter): boolean {
  if (filter.workflowId !== undefined && summary.workflowId !== filter.workflowId) return false;
  if (filter.reason !== undefined && !summary.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  if (filter.olderThanMs !== undefined && summary.ageMs < filter.olderThanMs) return false;
  if (filter.notReplayed && summary.replays > 0) return false;
  if (filter.statuses !== undefined && filter.statuses.length > 0 && !filter.statuses.includes(summary.status)) return false;
  return true;
}

/** The dead letters matching `filter`, oldest first. Throws DeadLetterStoreUnavailable as the store does. */
export async function listMatching(store: DeadLetterStore, filter: DeadLetterFilter = {}): Promise<DeadLetterListing[]> {
  return (await store.list(filter.locations)).filter((s) => matches(s, filter));
}

/** The dead letters `targets` names, in order (a filter's matches: oldest first). */
export async function targetsOf(store: DeadLetterStore, targets: DeadLetterTargets): Promise<DeadLetterRef[]> {
  if ('matching' in targets) return (await listMatching(store, targets.matching)).map((d) => ({ location: d.location, messageId: d.messageId }));
  if ('items' in targets) return targets.items.map(({ location, messageId }) => ({ location, messageId }));
  return targets.messageIds.map((messageId) => ({ location: targets.location, messageId }));
}

/**
 * Runs `action` on each target in turn. One that fails (not a dead letter, a failed write) does
 * not stop the others: its outcome says why. An unreachable store (DeadLetterStoreUnavailable)
 * stops everything and is thrown, rather than reported for every dead letter.
 */
export async function forEachTarget<O extends DeadLetterRef>(targets: readonly DeadLetterRef[], action: (target: DeadLetterRef) => Promise<O>): Promise<(O | DeadLetterProblem)[]> {
  const outcomes: (O | DeadLetterProblem)[] = [];
  for (const target of targets) {
    try {
      outcomes.push(await action(target));
    } catch (error) {
      if (error instanceof DeadLetterStoreUnavailable) throw error;
      outcomes.push({ location: target.location, messageId: target.messageId, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
