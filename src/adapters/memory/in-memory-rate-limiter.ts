import { Clock } from '../../application/ports/clock.port';
import { RateBucket, RateLimiter, Reservation } from '../../application/ports/rate-limiter.port';
import { gcraPushBack, gcraRelease, gcraReserve } from '../../domain/rate-limit';

/** Buckets kept before the idle ones (whose time has passed, so they are as good as new) are dropped. */
const SWEEP_ABOVE = 10_000;

/**
 * Rate-limit buckets in this process (embedded mode, the test profile): the GCRA state of each
 * bucket is its theoretical arrival time. Shared by every call of the process, by nothing beyond it.
 */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();
  /** Size above which the next write sweeps: doubles when a sweep frees little, so sweeps stay rare. */
  private sweepAbove = SWEEP_ABOVE;

  constructor(private readonly clock: Clock) {}

  reserve(bucket: RateBucket, maxWaitMs: number): Promise<Reservation> {
    const now = this.clock.now();
    const { reservation, tat } = gcraReserve(this.tats.get(bucket.key), now, bucket.shape, maxWaitMs);
    if (tat !== undefined) this.set(bucket.key, tat, now);
    return Promise.resolve(reservation);
  }

  release(bucket: RateBucket): Promise<void> {
    const now = this.clock.now();
    const tat = gcraRelease(this.tats.get(bucket.key), now, bucket.shape);
    if (tat === undefined) this.tats.delete(bucket.key);
    else this.tats.set(bucket.key, tat);
    return Promise.resolve();
  }

  pushBack(bucket: RateBucket, untilMs: number): Promise<void> {
    const now = this.clock.now();
    this.set(bucket.key, gcraPushBack(this.tats.get(bucket.key), untilMs, bucket.shape), now);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private set(key: string, tat: number, now: number): void {
    this.tats.set(key, tat);
    if (this.tats.size <= this.sweepAbove) return;
    for (const [k, t] of this.tats) if (t <= now) this.tats.delete(k);
    this.sweepAbove = Math.max(SWEEP_ABOVE, this.tats.size * 2);
  }
}
