import { after, before } from 'node:test';
import { Cluster } from 'ioredis';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { RedisTaskHistory } from '../../src/adapters/redis/task-history';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { xadd } from '../support/flunq';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { describeTaskHistoryContract } from './task-history.contract';

let cluster: TestCluster;
let client: Cluster;
let n = 0;

before(async () => {
  cluster = await startCluster(3);
  client = cluster.client();
});
after(async () => {
  await cluster.stop();
});

// Workflows land on different primaries: the search must find their streams on every one.
describeTaskHistoryContract('Redis Cluster', () => {
  const history = RedisTaskHistory.open({ url: '', clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) }, new SystemClock());
  return Promise.resolve({
    history,
    newWorkflow: () => ({ tenant: 'acme', workflow: `wf_${++n}` }),
    append: async (w, fields) => {
      const location = workflowStream(w.tenant, w.workflow);
      return { location, messageId: await xadd(client, location, fields) };
    },
    close: () => history.close(),
  });
});
