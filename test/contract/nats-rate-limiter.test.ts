import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect } from 'nats';
import { NatsRateLimiter } from '../../src/adapters/nats/nats-rate-limiter';
import { bucketShape, parseRate } from '../../src/domain/rate-limit';
import { FakeClock } from '../support/fake-clock';
import { describeRateLimiterContract } from './rate-limiter.contract';

// The shared NATS (NATS_URL, else 127.0.0.1:4222), in key-value buckets of this run's own, deleted after.
const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const run = `TEST_RATE_LIMITS_${process.pid}_${Date.now()}`;
const buckets: string[] = [];

after(async () => {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
  const jsm = await nc.jetstreamManager();
  for (const bucket of buckets) await jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
  await nc.close();
});

describeRateLimiterContract('NATS key-value', (clock) => {
  const bucket = `${run}_${buckets.length}`;
  buckets.push(bucket);
  const make = () => new NatsRateLimiter({ connection: { url, credsFile: undefined }, bucket }, clock);
  const limiters = [make()];
  const limiter = limiters[0] ?? make();
  return Promise.resolve({
    limiter,
    replica: () => {
      const another = make();
      limiters.push(another);
      return another;
    },
    close: async () => {
      for (const l of limiters) await l.close();
    },
  });
});

describe('NATS key-value rate limits under contention', () => {
  it("queue one replica's concurrent changes of a bucket rather than racing on its revision", async () => {
    const bucket = `${run}_contended`;
    buckets.push(bucket);
    const clock = new FakeClock();
    const limiter = new NatsRateLimiter({ connection: { url, credsFile: undefined }, bucket }, clock);
    try {
      const shape = bucketShape(parseRate('1000/s'), 1);
      const results = await Promise.all(Array.from({ length: 100 }, () => limiter.reserve({ key: 'hot', shape }, 60_000)));
      assert.deepEqual(
        results.map((r) => (r.granted ? r.waitMs : -1)).sort((x, y) => x - y),
        Array.from({ length: 100 }, (_, i) => i),
      );
    } finally {
      await limiter.close();
    }
  });
});
