import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../support/fake-clock';
import { RateBucket, RateLimiter } from '../../src/application/ports/rate-limiter.port';
import { bucketShape, parseRate } from '../../src/domain/rate-limit';

/** A fresh limiter over the backend, on the given clock; `close` cleans up what the test wrote. */
export interface RateLimiterHarness {
  limiter: RateLimiter;
  /** A limiter of another replica on the same backend and clock (the in-process one: the same limiter). */
  replica(): RateLimiter;
  close(): Promise<void>;
}

let n = 0;
function bucket(rate: string, burst = 1, name = `bucket-${++n}`): RateBucket {
  return { key: name, shape: bucketShape(parseRate(rate), burst) };
}

/**
 * The behaviour every RateLimiter adapter shares (memory, Redis, NATS key-value), so that the
 * scenarios run on the in-process one say what production does. Time comes from a fake clock.
 */
export function describeRateLimiterContract(name: string, factory: (clock: FakeClock) => Promise<RateLimiterHarness>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    async function withLimiter(test: (limiter: RateLimiter, clock: FakeClock, harness: RateLimiterHarness) => Promise<void>): Promise<void> {
      const clock = new FakeClock();
      const harness = await factory(clock);
      try {
        await test(harness.limiter, clock, harness);
      } finally {
        await harness.close();
      }
    }

    it('grants a new bucket at once, then one slot per interval, waits counted from now', () =>
      withLimiter(async (limiter, clock) => {
        const b = bucket('4/s');
        const waits: unknown[] = [];
        for (let i = 0; i < 3; i++) waits.push(await limiter.reserve(b, 10_000));
        assert.deepEqual(waits, [
          { granted: true, waitMs: 0 },
          { granted: true, waitMs: 250 },
          { granted: true, waitMs: 500 },
        ]);
        await clock.advance(600);
        assert.deepEqual(await limiter.reserve(b, 10_000), { granted: true, waitMs: 150 });
      }));

    it('refuses a slot beyond the longest wait without taking it', () =>
      withLimiter(async (limiter) => {
        const b = bucket('1/s');
        await limiter.reserve(b, 0);
        assert.deepEqual(await limiter.reserve(b, 999), { granted: false, retryAfterMs: 1000 });
        assert.deepEqual(await limiter.reserve(b, 0), { granted: false, retryAfterMs: 1000 }, 'the refusal took nothing');
        assert.deepEqual(await limiter.reserve(b, 1000), { granted: true, waitMs: 1000 });
      }));

    it('lets a burst go at once after a quiet time', () =>
      withLimiter(async (limiter, clock) => {
        const b = bucket('10/s', 3);
        const waits = [];
        for (let i = 0; i < 4; i++) waits.push(await limiter.reserve(b, 10_000));
        assert.deepEqual(waits.map((w) => (w.granted ? w.waitMs : -1)), [0, 0, 0, 100]);
        await clock.advance(10_000);
        assert.deepEqual(await limiter.reserve(b, 0), { granted: true, waitMs: 0 });
      }));

    it('handles rates whose interval is not a whole number of milliseconds', () =>
      withLimiter(async (limiter) => {
        const b = bucket('3/s');
        const waits = [];
        for (let i = 0; i < 4; i++) waits.push(await limiter.reserve(b, 10_000));
        assert.deepEqual(waits.map((w) => (w.granted ? w.waitMs : -1)), [0, 334, 667, 1000]);
      }));

    it('a push-back holds every new slot until its time, and never shortens a longer one', () =>
      withLimiter(async (limiter, clock) => {
        const b = bucket('100/s');
        await limiter.pushBack(b, clock.now() + 5000);
        await limiter.pushBack(b, clock.now() + 2000);
        assert.deepEqual(await limiter.reserve(b, 60_000), { granted: true, waitMs: 5000 });
        assert.deepEqual(await limiter.reserve(b, 60_000), { granted: true, waitMs: 5010 });
        assert.deepEqual(await limiter.reserve(b, 1000), { granted: false, retryAfterMs: 5020 });
      }));

    it('gives a granted slot back: the next one comes an interval earlier, never before now', () =>
      withLimiter(async (limiter, clock) => {
        const b = bucket('1/s');
        assert.deepEqual(await limiter.reserve(b, 10_000), { granted: true, waitMs: 0 });
        assert.deepEqual(await limiter.reserve(b, 10_000), { granted: true, waitMs: 1000 });
        await limiter.release(b);
        assert.deepEqual(await limiter.reserve(b, 10_000), { granted: true, waitMs: 1000 }, 'the released slot is taken again');
        await limiter.release(b);
        await limiter.release(b);
        assert.deepEqual(await limiter.reserve(b, 0), { granted: true, waitMs: 0 }, 'a bucket given back entirely is as new');
        await clock.advance(5000);
        await limiter.release(b);
        assert.deepEqual(await limiter.reserve(b, 0), { granted: true, waitMs: 0 }, 'giving back an idle bucket gives no extra slots');
        assert.equal((await limiter.reserve(b, 0)).granted, false);
      }));

    it('keeps buckets apart by key, whatever characters the key holds', () =>
      withLimiter(async (limiter) => {
        const long = `t:["acme","operation","GET /${'segment/'.repeat(600)}"]`;
        const keys = [`t:["acme","key","crm api/v1 ü.*",">"]-${++n}`, `t:["beta","key","crm api/v1 ü.*",">"]-${n}`, `o:["*.example.com"]-${n}`, `${long}-a${n}`, `${long}-b${n}`];
        for (const key of keys) assert.deepEqual(await limiter.reserve(bucket('1/m', 1, key), 0), { granted: true, waitMs: 0 }, key);
        for (const key of keys) assert.equal((await limiter.reserve(bucket('1/m', 1, key), 0)).granted, false, key);
      }));

    it('gives each of many concurrent callers its own slot (atomic per bucket)', () =>
      withLimiter(async (limiter) => {
        const b = bucket('10/s');
        const results = await Promise.all(Array.from({ length: 12 }, () => limiter.reserve(b, 60_000)));
        const waits = results.map((r) => (r.granted ? r.waitMs : -1)).sort((x, y) => x - y);
        assert.deepEqual(waits, Array.from({ length: 12 }, (_, i) => i * 100));
      }));

    it('shares a bucket between replicas calling at the same instant', () =>
      withLimiter(async (limiter, _clock, harness) => {
        const b = bucket('100/s');
        const other = harness.replica();
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? limiter : other).reserve(b, 60_000)));
        const waits = results.map((r) => (r.granted ? r.waitMs : -1)).sort((x, y) => x - y);
        assert.deepEqual(waits, Array.from({ length: 30 }, (_, i) => i * 10));
      }));
  });
}
