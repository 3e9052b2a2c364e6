import { BacklogSnapshot, BacklogView, LocationBacklog } from '../ports/backlog.port';

/** Locations a snapshot keeps: the console shows the busiest, not every idle queue. */
export const BUSIEST_KEPT = 20;

/**
 * Keeps the busiest of the locations counted so far, with the totals, in one pass over all of them:
 * memory stays bounded by `keep` however many locations there are.
 */
export class BacklogTally {
  private readonly busiest: LocationBacklog[] = [];
  private undelivered = 0;
  private pending = 0;
  private counted = 0;

  constructor(private readonly keep = BUSIEST_KEPT) {}

  add(item: LocationBacklog): void {
    this.counted++;
    this.undelivered += item.undelivered;
    this.pending += item.pending;
    const load = item.undelivered + item.pending;
    if (load === 0) return;
    const last = this.busiest[this.busiest.length - 1];
    if (this.busiest.length >= this.keep && last && last.undelivered + last.pending >= load) return;
    const at = this.busiest.findIndex((b) => b.undelivered + b.pending < load);
    this.busiest.splice(at < 0 ? this.busiest.length : at, 0, { ...item });
    if (this.busiest.length > this.keep) this.busiest.pop();
  }

  snapshot(at: number): BacklogSnapshot {
    return { at, locations: this.counted, busiest: [...this.busiest], totals: { undelivered: this.undelivered, pending: this.pending } };
  }
}

/** The last snapshot a backend's own count reported (the Redis audit's pass), for the console. */
export class BacklogBoard implements BacklogView {
  private last: BacklogSnapshot | undefined;

  record(snapshot: BacklogSnapshot): void {
    this.last = snapshot;
  }

  backlog(): BacklogSnapshot | undefined {
    return this.last;
  }
}
