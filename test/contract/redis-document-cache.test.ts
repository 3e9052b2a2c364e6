import { after, before } from 'node:test';
import Redis from 'ioredis';
import { RedisDocumentCache } from '../../src/adapters/redis/document-cache';
import { InMemoryLogger } from '../support/in-memory-logger';
import { describeDocumentCacheContract } from './document-cache.contract';

// The shared local Redis (REDIS_URL to use another), under a key prefix of this run's own, removed after.
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `test:document-cache:${process.pid}-${Date.now()}:`;
let client: Redis;
let n = 0;

before(() => {
  client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});
after(async () => {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
});

describeDocumentCacheContract('Redis', () => {
  const maxBodyBytes = 64 * 1024;
  const cache = new RedisDocumentCache({ url }, new InMemoryLogger(), { keyPrefix: prefix, maxBodyBytes, commandTimeoutMs: 2_000 });
  return Promise.resolve({
    cache,
    maxBodyBytes,
    newKey: () => `key-${++n}`,
    // Redis keeps time itself: the entry's remaining time to live is shortened instead.
    elapse: async (key, ms) => {
      const remaining = await client.pttl(`${prefix}${key}`);
      if (remaining <= ms) await client.del(`${prefix}${key}`);
      else await client.pexpire(`${prefix}${key}`, remaining - ms);
    },
    corrupt: async (key) => {
      await client.hset(`${prefix}${key}`, 'meta', '{not json');
    },
    close: () => cache.close(),
  });
}, { holdsBytes: true });
