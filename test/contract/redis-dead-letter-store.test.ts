import { after, before } from 'node:test';
import Redis from 'ioredis';
import { RedisDeadLetterStore } from '../../src/adapters/redis/dead-letter-store';
import { startRedis, TestRedis } from '../support/redis-server';
import { describeDeadLetterStoreContract } from './dead-letter-store.contract';
import { redisDeadLetterHarness } from './redis-dead-letter-harness';

let redis: TestRedis;
let client: Redis;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  client.disconnect();
  await redis.stop();
});

describeDeadLetterStoreContract('Redis Streams', () => Promise.resolve(redisDeadLetterHarness(client, (clock, pattern) => new RedisDeadLetterStore(redis.client(), clock, pattern))));
