import { createHash } from 'node:crypto';
import { connect, KV, NatsConnection, StorageType } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { RateBucket, RateLimiter, Reservation } from '../../application/ports/rate-limiter.port';
import { gcraPushBack, gcraRelease, gcraReserve } from '../../domain/rate-limit';
import { connectionOptions, NatsConnectionSettings } from './connection';
import { bucketKey } from './task-claims';

export interface NatsRateLimiterOptions {
  connection: NatsConnectionSettings;
  /** The key-value bucket of the rate limits (created if missing). Default `FLUNQ_RATE_LIMITS`. */
  bucket?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Compare-and-set attempts on one bucket before giving up (each one a round trip). */
const CAS_ATTEMPTS = 32;
/**
 * Entries expire this long after their last change. A bucket's state matters only until its
 * theoretical arrival time, at most a slot interval (a day at the slowest rate) plus the longest
 * wait or push-back beyond now; an expired bucket is a new one, which is what it would be then.
 */
const ENTRY_TTL_MS = 2 * 86_400_000;

/** Longest key written as is; longer ones (long paths of `per: operation`) are hashed, as a NATS subject must fit in a protocol line. */
const MAX_PLAIN_KEY = 240;

/** The key-value key of a bucket: its key escaped (see `bucketKey`), or its SHA-256 when that is long. */
export function rateLimitKey(key: string): string {
  const escaped = bucketKey(key);
  return escaped.length <= MAX_PLAIN_KEY ? escaped : `h.${createHash('sha256').update(key).digest('hex')}`;
}

function isConflict(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}

/**
 * Rate-limit buckets in a JetStream key-value bucket, shared by every replica on the same NATS:
 * one key per rate-limit bucket holding its GCRA state (the theoretical arrival time), changed by
 * compare-and-set on the key's revision (a get and an update per reservation; a conflict, another
 * replica's change in between, is computed again). Within one process the changes of a bucket are
 * queued, so conflicts come only from other replicas. NATS has no server-side scripts, hence the
 * optimistic loop rather than one atomic step. The connection is opened on first use.
 */
export class NatsRateLimiter implements RateLimiter {
  private kv: Promise<{ nc: NatsConnection; kv: KV }> | undefined;
  /** The last change queued per bucket key (see `change`). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly bucket: string;

  constructor(
    private readonly options: NatsRateLimiterOptions,
    private readonly clock: Clock,
  ) {
    this.bucket = options.bucket ?? 'FLUNQ_RATE_LIMITS';
  }

  async reserve(bucket: RateBucket, maxWaitMs: number): Promise<Reservation> {
    let reservation: Reservation | undefined;
    await this.change(bucket, (tat, now) => {
      const decided = gcraReserve(tat, now, bucket.shape, maxWaitMs);
      reservation = decided.reservation;
      return decided.reservation.granted ? decided.tat : undefined;
    });
    if (!reservation) throw new Error('rate limit: no reservation was computed');
    return reservation;
  }

  async release(bucket: RateBucket): Promise<void> {
    // A bucket as good as new is left to expire rather than deleted: the entry's TTL clears it.
    await this.change(bucket, (tat, now) => (tat === undefined ? undefined : (gcraRelease(tat, now, bucket.shape) ?? now)));
  }

  async pushBack(bucket: RateBucket, untilMs: number): Promise<void> {
    await this.change(bucket, (tat) => {
      const pushed = gcraPushBack(tat, untilMs, bucket.shape);
      return tat !== undefined && pushed <= tat ? undefined : pushed;
    });
  }

  async close(): Promise<void> {
    const opened = this.kv;
    this.kv = undefined;
    if (opened) await opened.then(({ nc }) => nc.close()).catch(() => undefined);
  }

  /**
   * Reads the bucket's state, asks `next` for the new one (undefined: leave it), and writes it only
   * if nobody wrote in between; otherwise reads again.
   */
  private change(bucket: RateBucket, next: (tat: number | undefined, now: number) => number | undefined): Promise<void> {
    // One change of a bucket at a time in this process: concurrent calls of one replica queue here
    // instead of racing on the revision, so only other replicas' writes can make an attempt fail.
    const previous = this.queues.get(bucket.key) ?? Promise.resolve();
    const run = previous.then(() => this.compareAndSet(bucket, next));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(bucket.key, settled);
    void settled.then(() => {
      if (this.queues.get(bucket.key) === settled) this.queues.delete(bucket.key);
    });
    return run;
  }

  private async compareAndSet(bucket: RateBucket, next: (tat: number | undefined, now: number) => number | undefined): Promise<void> {
    const { kv } = await this.open();
    const key = rateLimitKey(bucket.key);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const entry = await kv.get(key);
      const stored = entry && entry.operation === 'PUT' ? Number(decoder.decode(entry.value)) : NaN;
      const tat = Number.isFinite(stored) ? stored : undefined;
      const value = next(tat, this.clock.now());
      if (value === undefined) return;
      try {
        if (entry) await kv.update(key, encoder.encode(value.toFixed(3)), entry.revision);
        else await kv.create(key, encoder.encode(value.toFixed(3)));
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(`rate limit: the bucket stayed contended after ${CAS_ATTEMPTS} attempts`);
  }

  private open(): Promise<{ nc: NatsConnection; kv: KV }> {
    this.kv ??= (async () => {
      const nc = await connect(connectionOptions(this.options.connection, 'flunq-executor-rate-limits'));
      try {
        const kv = await nc.jetstream().views.kv(this.bucket, { history: 1, storage: StorageType.Memory, ttl: ENTRY_TTL_MS });
        return { nc, kv };
      } catch (error) {
        await nc.close();
        throw error;
      }
    })();
    // A failed open is tried again on the next call rather than remembered.
    void this.kv.catch(() => (this.kv = undefined));
    return this.kv;
  }
}
