import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { startExecutor } from '../support/in-process-executor';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { eventually } from '../support/redis-server';

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster(3, { password: 'cluster-secret' });
});
after(async () => {
  await cluster.stop();
});

describe('Redis Cluster with a password', () => {
  it('uses REDIS_PASSWORD on every node: commands, notification subscribers and SCAN', async () => {
    const executor = await startExecutor('localhost:1', { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PASSWORD: 'cluster-secret', EXECUTOR_RECLAIM_INTERVAL: '30s' });
    try {
      await eventually('readiness', () => executor.source.isReady(), 10_000);
      assert.equal(executor.source.usesNotifications, true);
      const client = cluster.client();
      const streams = Array.from({ length: 12 }, (_, i) => streamKey('auth', `wf_${i * 7919}`));
      for (const [i, stream] of streams.entries()) await xadd(client, stream, requestFields({ tenant: 'auth', workflow: `wf_${i * 7919}`, taskId: `task-auth-${i}` }));
      await eventually('every completion', async () => {
        for (const stream of streams) if ((await entriesOfType(client, stream, 'io.flunq.task.completed')).length !== 1) return false;
        return true;
      }, 10_000);
      for (const stream of streams) assert.equal(await pendingCount(client, stream), 0);
    } finally {
      await executor.stop();
    }
  });
});
