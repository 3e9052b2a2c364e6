import { Clock } from './ports/clock.port';

/** A registered deadline; pass it back to `cancel` once the work finished in time. */
export interface Deadline {
  readonly at: number;
}

interface Entry extends Deadline {
  at: number;
  onExpire: () => void;
  bucket: Bucket;
}

interface Bucket {
  entries: Set<Entry>;
  /** Aborts the armed timer; undefined while none is armed. */
  timer: AbortController | undefined;
}

/** Why an idle bucket's timer is cleared (never surfaces). */
const DISARMED = new Error('no deadline left to watch');

/**
 * Task deadlines with one timer per distinct timeout length instead of one timer (and one
 * AbortController) per task. Tasks with the same timeout start in time order, so a bucket's
 * oldest entry is due first; its timer re-arms for the next entry when it fires, and is cleared
 * when the bucket empties so an idle service holds no timer.
 */
export class DeadlineTimers {
  private readonly buckets = new Map<number, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Calls `onExpire` once `timeoutMs` have passed, unless `cancel` is called first. */
  add(timeoutMs: number, onExpire: () => void): Deadline {
    let bucket = this.buckets.get(timeoutMs);
    if (!bucket) {
      bucket = { entries: new Set(), timer: undefined };
      this.buckets.set(timeoutMs, bucket);
    }
    const entry: Entry = { at: this.clock.now() + timeoutMs, onExpire, bucket };
    bucket.entries.add(entry);
    if (!bucket.timer) this.arm(bucket, entry.at);
    return entry;
  }

  cancel(deadline: Deadline): void {
    const entry = deadline as Entry;
    const { bucket } = entry;
    if (!bucket.entries.delete(entry) || bucket.entries.size > 0 || !bucket.timer) return;
    bucket.timer.abort(DISARMED);
    bucket.timer = undefined;
  }

  private arm(bucket: Bucket, at: number): void {
    const timer = new AbortController();
    bucket.timer = timer;
    this.clock.sleep(at - this.clock.now(), timer.signal).then(
      () => {
        if (bucket.timer !== timer) return;
        bucket.timer = undefined;
        this.fire(bucket);
      },
      () => undefined,
    );
  }

  private fire(bucket: Bucket): void {
    const now = this.clock.now();
    let next = Infinity;
    const due: Entry[] = [];
    for (const entry of bucket.entries) {
      if (entry.at <= now) due.push(entry);
      else next = Math.min(next, entry.at);
    }
    for (const entry of due) bucket.entries.delete(entry);
    if (next !== Infinity) this.arm(bucket, next);
    for (const entry of due) entry.onExpire();
  }
}
