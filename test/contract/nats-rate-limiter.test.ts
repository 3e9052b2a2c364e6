import { after } from 'node:test';
import { connect } from 'nats';
import { NatsRateLimiter } from '../../src/adapters/nats/nats-rate-limiter';
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
  const limiter = new NatsRateLimiter({ connection: { url, credsFile: undefined }, bucket }, clock);
  return Promise.resolve({ limiter, close: () => limiter.close() });
});
