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
  const make = () => new RedisRateLimiter({ connection: { url: '', clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) } }, clock, new InMemoryLogger());
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
