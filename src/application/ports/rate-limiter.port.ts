import { BucketShape, Reservation } from '../../domain/rate-limit';

export type { BucketShape, Reservation };

/** One rate-limit bucket: its key in the backend and its shape. */
export interface RateBucket {
  /**
   * Names the bucket among every replica's (free text, at most a few hundred characters): calls
   * naming the same key share its slots. The caller scopes it (operator limits, a tenant's own).
   */
  readonly key: string;
  readonly shape: BucketShape;
}

/**
 * Shared rate-limit buckets (GCRA), one per key, the same for every replica that uses the same
 * backend. Each operation is atomic per bucket and takes one round trip in the common case. Times
 * come from the adapter's Clock, so replicas are assumed to have synchronised clocks.
 */
export interface RateLimiter {
  /**
   * Takes the bucket's next slot when it is at most `maxWaitMs` away: `{granted: true, waitMs}`,
   * after which the caller may send (the slot is taken even if the caller then gives up), or
   * `{granted: false, retryAfterMs}` with the bucket unchanged. Not idempotent: each granted call
   * takes one slot. Rejects when the backend cannot be reached.
   */
  reserve(bucket: RateBucket, maxWaitMs: number): Promise<Reservation>;
  /**
   * Gives back one slot `reserve` granted on this bucket whose call will not be sent (another
   * bucket of the same call refused): the bucket's next slot comes one interval earlier, never
   * before now. Call it at most once per granted reservation. Rejects when the backend cannot be
   * reached (the slot then stays taken, as if the call had been sent).
   */
  release(bucket: RateBucket): Promise<void>;
  /**
   * Lets no new reservation of the bucket go before `untilMs` (epoch ms), as a downstream's
   * `Retry-After` asks; a bucket already blocked longer stays so. Idempotent. Rejects when the
   * backend cannot be reached.
   */
  pushBack(bucket: RateBucket, untilMs: number): Promise<void>;
  /** Closes the backend connection, if one was opened. Idempotent. */
  close(): Promise<void>;
}
