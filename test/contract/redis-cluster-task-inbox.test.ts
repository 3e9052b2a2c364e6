import { after, before } from 'node:test';
import { Cluster } from 'ioredis';
import { EntryStreamInbox } from '../../src/adapters/flunq-wire/entry-stream-inbox';
import { eventFromFields, fieldsFromEvent } from '../../src/adapters/flunq-wire/stream-fields';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { TaskInbox } from '../../src/application/ports/task-inbox.port';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { newRedisSource } from '../support/redis-source';
import { describeTaskInboxContract, InboxHarness } from './task-inbox.contract';

let cluster: TestCluster;
let client: Cluster;
let n = 0;
const run = `${process.pid}-${Date.now()}`;

before(async () => {
  cluster = await startCluster(3);
  client = cluster.client();
});
after(async () => {
  await cluster.stop();
});

function toFields(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i] as string] = flat[i + 1] as string;
  return o;
}

function clusterHarness(): InboxHarness {
  const inboxes: TaskInbox[] = [];
  const redeliverAfterMs = 400;
  // Long enough that a receive ended by its block time cannot pass for one woken by a publication.
  const blockMs = 3000;
  // Each harness discovers only its own workflows (the cluster is shared by the tests of this file).
  const tenant = `inbox-${run}-${++n}`;
  const clusterNodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    redeliverAfterMs,
    blockMs,
    realTime: true,
    inbox: (replica, options = {}) => {
      const streams = options.workflows?.map((w) => workflowStream(w.tenant, w.workflow)) ?? [];
      const source = newRedisSource('localhost:1', { clusterNodes, group: options.group ?? 'contract', consumer: replica, streams, pattern: `tenant:${tenant}:workflow:*:events`, reclaimIdleMs: redeliverAfterMs, rescanIntervalMs: 60_000, blockMs });
      const inbox = new EntryStreamInbox(source);
      inboxes.push(inbox);
      return Promise.resolve(inbox);
    },
    newWorkflow: () => ({ tenant, workflow: `wf_${++n}` }),
    publish: async (w, event) => {
      await client.xadd(workflowStream(w.tenant, w.workflow), '*', ...Object.entries(fieldsFromEvent(event)).flat());
    },
    events: async (w) => (await client.xrange(workflowStream(w.tenant, w.workflow), '-', '+')).map(([, flat]) => eventFromFields(toFields(flat))),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    crash: (inbox) => inbox.close(),
    close: async () => {
      for (const inbox of inboxes.splice(0)) await inbox.close().catch(() => undefined);
    },
  };
}

describeTaskInboxContract('Redis Streams on a Redis Cluster', () => Promise.resolve(clusterHarness()));
