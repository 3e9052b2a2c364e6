import Redis from 'ioredis';
import { after } from 'node:test';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter';
import { InMemoryLogger } from '../support/in-memory-logger';
import { describeRateLimiterContract } from './rate-limiter.contract';

// The shared Redis (REDIS_URL, else 127.0.0.1:6379), under a prefix of this run's own, removed after.
const url = process.env['REDIS_URL'] ?? '127.0.0.1:6379';
const prefix = `test:ratelimit:${process.pid}-${Date.now()}:`;
const cleaner = new Redis(url.startsWith('redis') ? url : `redis://${url}`, { lazyConnect: true });

after(async () => {
  await cleaner.connect();
  const keys = await cleaner.keys(`${prefix}*`);
  if (keys.length > 0) await cleaner.del(...keys);
  cleaner.disconnect();
});

describeRateLimiterContract('Redis', (clock) => {
  const make = () => new RedisRateLimiter({ connection: { url }, keyPrefix: prefix }, clock, new InMemoryLogger());
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
