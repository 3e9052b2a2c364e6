import { DeadLetterStore, DeadLetterSummary } from '../ports/dead-letter-store.port';

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
}

/** A dead letter as listed for an operator: its summary and how many times it was replayed so far. */
export interface DeadLetterListing extends DeadLetterSummary {
  replays: number;
}

/** Dead letters whose replays are counted at once (each count is one read of the store). */
const COUNT_CONCURRENCY = 8;

function matches(summary: DeadLetterSummary, filter: DeadLetterFilter): boolean {
  if (filter.workflowId !== undefined && summary.workflowId !== filter.workflowId) return false;
  if (filter.reason !== undefined && !summary.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  if (filter.olderThanMs !== undefined && summary.ageMs < filter.olderThanMs) return false;
  return true;
}

/**
 * The dead letters matching `filter`, oldest first, each with its replay count (unless
 * `countReplays` is false and the filter does not need it). The count is read
 * with the store's `get` (the port's only view of replays), a few at a time; a dead letter that
 * disappears meanwhile counts as never replayed. Throws DeadLetterStoreUnavailable as the store does.
 */
export async function listMatching(store: DeadLetterStore, filter: DeadLetterFilter = {}, options: { countReplays?: boolean } = {}): Promise<DeadLetterListing[]> {
  const summaries = (await store.list(filter.locations)).filter((s) => matches(s, filter));
  // Without the counts (a replay that does not ask for them), `replays` is 0 and nothing more is read.
  if (options.countReplays === false && !filter.notReplayed) return summaries.map((s) => ({ ...s, replays: 0 }));
  const listings: DeadLetterListing[] = new Array<DeadLetterListing>(summaries.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < summaries.length; i = next++) {
      const summary = summaries[i]!;
      const record = await store.get(summary.location, summary.messageId);
      listings[i] = { ...summary, replays: record?.replays.length ?? 0 };
    }
  };
  await Promise.all(Array.from({ length: Math.min(COUNT_CONCURRENCY, summaries.length) }, worker));
  return filter.notReplayed ? listings.filter((l) => l.replays === 0) : listings;
}
