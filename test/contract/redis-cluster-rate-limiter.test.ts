import { after, before } from 'node:test';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter';
import { InMemoryLogger } from '../support/in-memory-logger';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { describeRateLimiterContract } from './rate-limiter.contract';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster(3);
});
after(async () => {
  await cluster.stop();
});

// One key per bucket: buckets spread over the primaries, each changed by one script on its own.
describeRateLimiterContract('Redis Cluster', (clock) => {
  const limiter = new RedisRateLimiter({ connection: { url: '', clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) } }, clock, new InMemoryLogger());
  return Promise.resolve({ limiter, close: () => limiter.close() });
});
