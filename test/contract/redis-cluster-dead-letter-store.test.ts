import { after, before } from 'node:test';
import { Cluster } from 'ioredis';
import { RedisDeadLetterStore } from '../../src/adapters/redis/dead-letter-store';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { describeDeadLetterStoreContract } from './dead-letter-store.contract';
import { redisDeadLetterHarness } from './redis-dead-letter-harness';

let cluster: TestCluster;
let client: Cluster;

before(async () => {
  cluster = await startCluster(3);
  client = cluster.client();
});
after(async () => {
  await cluster.stop();
});

// A stream and the hashes beside it (replays, resolutions) hash to different slots: no command may touch two of them.
describeDeadLetterStoreContract('Redis Streams on a Redis Cluster', () =>
  Promise.resolve(redisDeadLetterHarness(client, (clock, pattern) => RedisDeadLetterStore.open({ url: 'localhost:1', clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) }, clock, pattern))),
);
