import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { DeadLetterStoreUnavailable } from '../../src/application/ports/dead-letter-store.port';
import { RedisDeadLetterStore } from '../../src/adapters/redis/dead-letter-store';
import { slotOf } from '../../src/adapters/redis/stream-keys';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { deadLetterEntry, entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { eventually, freePort } from '../support/redis-server';

const COMPLETED = 'io.flunq.task.completed';

let cluster: TestCluster;
let client: Cluster;
const executors: InProcessExecutor[] = [];
let run = 0;

before(async () => {
  cluster = await startCluster(3);
  client = cluster.client();
});
afterEach(async () => {
  for (const e of executors.splice(0)) await e.stop();
});
after(async () => {
  await cluster.stop();
});

async function executor(replica: string, env: Record<string, string> = {}): Promise<InProcessExecutor> {
  const e = await startExecutor('localhost:1', { REDIS_CLUSTER_NODES: cluster.seeds, HOSTNAME: replica, EXECUTOR_CONCURRENCY: '16', EXECUTOR_RECLAIM_IDLE: '1s', EXECUTOR_RECLAIM_INTERVAL: '250ms', ...env });
  executors.push(e);
  await eventually('readiness', () => e.source.isReady(), 10_000);
  return e;
}

/** Which primary (id) serves a slot, as CLUSTER SLOTS says now. */
async function slotOwners(): Promise<(slot: number) => string | undefined> {
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  return (slot) => ranges.find(([start, end]) => slot >= start && slot <= end)?.[2][2];
}

/** Figures in the test report and on stderr (visible in a plain run). */
function report(t: { diagnostic(message: string): void }, figures: string): void {
  t.diagnostic(figures);
  process.stderr.write(`${figures}\n`);
}

interface Sent {
  stream: string;
  taskId: string;
}

/**
 * `count` tasks over `streams` streams of a new tenant, sent `everyMs` apart (all at once with 0).
 * With `replicated`, each request is on a replica before the next is sent (WAIT 1 on the primary that
 * took it), so that a primary killed meanwhile cannot take a request with it.
 */
async function send(streams: number, count: number, { everyMs = 0, replicated = false, tenant = `cl${++run}`, from = 0 } = {}): Promise<Sent[]> {
  const sent: Sent[] = [];
  // Bounded in time too: writes to a dead primary wait for the failover.
  const deadline = Date.now() + 15_000;
  for (let i = from; i < from + count && Date.now() < deadline; i++) {
    const workflow = `wf_${i % streams}`;
    const stream = streamKey(tenant, workflow);
    const taskId = `task-${tenant}-${i}`;
    if (replicated) {
      const fields = Object.entries(requestFields({ tenant, workflow, taskId })).flat();
      const replies = await client.pipeline().xadd(stream, '*', ...fields).call('WAIT', 1, 500).exec().catch(() => null);
      // Not on a replica (the primary died meanwhile): the producer did not get its write through.
      if (!replies || replies.some(([error]) => error) || replies[1]?.[1] !== 1) continue;
    } else await xadd(client, stream, requestFields({ tenant, workflow, taskId }));
    sent.push({ stream, taskId });
    if (everyMs > 0) await new Promise((r) => setTimeout(r, everyMs));
  }
  return sent;
}

/** Completions per task id of what was sent, once every task has one (or the deadline passed). */
async function settle(sent: Sent[], deadlineMs = 20_000): Promise<{ completed: number; lost: number; duplicates: number; pending: number }> {
  const streams = [...new Set(sent.map((s) => s.stream))];
  const count = async (): Promise<Map<string, number>> => {
    const per = new Map<string, number>();
    for (const stream of streams) for (const e of await entriesOfType(client, stream, COMPLETED)) per.set(e.fields['taskid'] ?? '', (per.get(e.fields['taskid'] ?? '') ?? 0) + 1);
    return per;
  };
  let per = new Map<string, number>();
  await eventually('a completion of every task', async () => {
    per = await count();
    return sent.every((s) => (per.get(s.taskId) ?? 0) > 0);
  }, deadlineMs, 200).catch(() => undefined);
  let pending = 0;
  await eventually('nothing pending', async () => {
    pending = 0;
    for (const stream of streams) pending += await pendingCount(client, stream);
    return pending === 0;
  }, 10_000, 200).catch(() => undefined);
  per = await count();
  const completed = sent.filter((s) => (per.get(s.taskId) ?? 0) > 0).length;
  const duplicates = sent.reduce((sum, s) => sum + Math.max(0, (per.get(s.taskId) ?? 0) - 1), 0);
  return { completed, lost: sent.length - completed, duplicates, pending };
}

describe('Redis Cluster (3 primaries, 3 replicas)', () => {
  it('completes tasks on streams spread over every primary exactly once', async () => {
    const a = await executor('a');
    await executor('b');
    const sent = await send(60, 300);
    const slots = new Set(sent.map((s) => slotOf(s.stream)));
    assert.ok(slots.size >= 30, `streams over ${slots.size} slots`);
    const result = await settle(sent);
    assert.deepEqual(result, { completed: 300, lost: 0, duplicates: 0, pending: 0 });
    // Every primary held some of the streams (and settled their tasks there).
    for (const primary of (await cluster.nodes()).filter((n) => n.role === 'master')) {
      assert.ok((await cluster.node(primary.port).dbsize()) > 0, `primary ${primary.port} holds streams`);
    }
    assert.equal(a.source.usesNotifications, true);
  });

  it('finds new streams and entries on every primary by polling when notifications are off', async () => {
    const a = await executor('a', { EXECUTOR_KEYSPACE_NOTIFICATIONS: 'false', EXECUTOR_RECLAIM_INTERVAL: '15s' });
    assert.equal(a.source.usesNotifications, false);
    const first = await send(15, 30);
    assert.deepEqual(await settle(first, 10_000), { completed: 30, lost: 0, duplicates: 0, pending: 0 });
    // Known streams again: found by the audit (every second on a cluster, whatever the reclaim interval).
    const startedAt = Date.now();
    const again = await send(15, 15, { tenant: `cl${run}`, from: 30 });
    assert.deepEqual(await settle(again, 10_000), { completed: 15, lost: 0, duplicates: 0, pending: 0 });
    assert.ok(Date.now() - startedAt < 5000, `took ${Date.now() - startedAt} ms`);
  });

  it('lists, shows and replays dead letters on every primary', async () => {
    const tenant = `cldlq${++run}`;
    const ids = new Map<string, string>();
    // Two streams in each third of the slots (names alike hash to nearby slots: pick them).
    const perThird = [0, 0, 0];
    for (let i = 0, n = 0; n < 6; i++) {
      const stream = streamKey(tenant, `wf_${i}`);
      const third = Math.min(2, Math.floor(slotOf(stream) / 5462));
      if ((perThird[third] ?? 0) >= 2) continue;
      perThird[third] = (perThird[third] ?? 0) + 1;
      const request = requestFields({ tenant, workflow: `wf_${i}`, taskId: `t${n++}` });
      ids.set(stream, await xadd(client, stream, deadLetterEntry(request, 'PUBLICATION_FAILED: down', 3)));
    }
    const store = RedisDeadLetterStore.open({ url: 'localhost:1', clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) }, new SystemClock(), `tenant:${tenant}:workflow:*:events`);
    try {
      const list = await store.list();
      assert.deepEqual(list.map((d) => d.location).sort(), [...ids.keys()].sort());
      const [stream, id] = [...ids][0] as [string, string];
      assert.equal((await store.get(stream, id))?.summary.taskId, 't0');
      const replay = await store.replay(stream, id);
      assert.equal(replay.replay, 1);
      assert.equal((await store.get(stream, id))?.replays.length, 1);
      assert.equal((await entriesOfType(client, stream, 'io.flunq.task.requested')).length, 1);
    } finally {
      await store.close();
    }
  });

  it('refuses dead-letter commands at once, in one line naming REDIS_CLUSTER_NODES, when no seed node answers', async () => {
    const port = await freePort();
    const store = RedisDeadLetterStore.open({ url: 'localhost:1', clusterNodes: [{ host: '127.0.0.1', port }] }, new SystemClock());
    try {
      await assert.rejects(store.list(), (error: Error) => error instanceof DeadLetterStoreUnavailable && new RegExp(`^cannot connect to Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_CLUSTER_NODES\\): `).test(error.message) && !error.message.includes('\n'));
    } finally {
      await store.close();
    }
  });

  it('loses nothing when a primary fails over to its replica while tasks flow', async (t) => {
    await executor('a');
    await executor('b');
    const nodes = await cluster.nodes();
    const primary = nodes.find((n) => n.role === 'master' && n.slots > 0);
    const replica = nodes.find((n) => n.primaryId === primary?.id);
    assert.ok(primary && replica);
    let sendingDone = false;
    const sending = send(40, 400, { everyMs: 5 }).finally(() => (sendingDone = true));
    await new Promise((r) => setTimeout(r, 500));
    await cluster.failover(replica.port);
    assert.ok(!sendingDone, 'tasks were still being sent when the failover ended');
    const sent = await sending;
    const result = await settle(sent, 30_000);
    report(t, `cluster failover figures: sent=${sent.length} completed=${result.completed} lost=${result.lost} duplicates=${result.duplicates} pending=${result.pending}`);
    assert.equal(result.lost, 0);
    assert.equal(result.pending, 0);
  });

  it('follows a failover with its notifications: a new stream on the promoted primary is found at once', async () => {
    // Long audit and rescan periods: only a notification can find the new stream quickly.
    const a = await executor('a', { EXECUTOR_RECLAIM_INTERVAL: '30s', EXECUTOR_RESCAN_INTERVAL: '60s' });
    const nodes = await cluster.nodes();
    const primary = nodes.find((n) => n.role === 'master' && n.slots > 0);
    const replica = nodes.find((n) => n.primaryId === primary?.id);
    assert.ok(primary && replica);
    await cluster.failover(replica.port);
    await cluster.waitOk();
    const owners = await slotOwners();
    const tenant = `clfollow${++run}`;
    let workflow = '';
    for (let i = 0; !workflow; i++) if (owners(slotOf(streamKey(tenant, `wf_${i}`))) === replica.id) workflow = `wf_${i}`;
    // The executor learns the new topology on its next slot refresh (every 2 s, or on a redirection).
    await new Promise((r) => setTimeout(r, 2500));
    await eventually('notifications active', () => a.source.usesNotifications, 5000);
    const sentAt = Date.now();
    await xadd(client, streamKey(tenant, workflow), requestFields({ tenant, workflow, taskId: 'task-follow-1' }));
    await eventually('the completion', async () => (await entriesOfType(client, streamKey(tenant, workflow), COMPLETED)).length > 0, 5000);
    const took = Date.now() - sentAt;
    assert.ok(took < 1500, `found after ${took} ms`);
  });

  it('loses nothing when 500 slots migrate to another primary while tasks flow', async (t) => {
    await executor('a');
    await executor('b');
    const primaries = (await cluster.nodes()).filter((n) => n.role === 'master' && n.slots > 0);
    const [from, to] = primaries;
    assert.ok(from && to);
    const before = await slotOwners();
    let sendingDone = false;
    const sending = send(500, 600, { everyMs: 3 }).finally(() => (sendingDone = true));
    await new Promise((r) => setTimeout(r, 300));
    await cluster.reshard(from.id, to.id, 500);
    const overlapped = !sendingDone;
    const sent = await sending;
    const after = await slotOwners();
    const moved = new Set(sent.filter((s) => before(slotOf(s.stream)) !== after(slotOf(s.stream))).map((s) => s.stream)).size;
    assert.ok(overlapped, 'tasks were still being sent when the migration ended');
    assert.ok(moved > 0, 'some streams of the test moved');
    const result = await settle(sent, 30_000);
    report(t, `cluster reshard figures: streams moved=${moved} sent=${sent.length} completed=${result.completed} lost=${result.lost} duplicates=${result.duplicates} pending=${result.pending}`);
    assert.equal(result.lost, 0);
    assert.equal(result.pending, 0);
  });

  it('loses no replicated request when a primary is killed (kill -9) while tasks flow', async (t) => {
    await executor('a');
    await executor('b');
    const nodes = await cluster.nodes();
    const primary = nodes.find((n) => n.role === 'master' && n.slots > 0);
    assert.ok(primary);
    const sending = send(40, 400, { everyMs: 5, replicated: true });
    await new Promise((r) => setTimeout(r, 500));
    await cluster.kill(primary.port);
    const sent = await sending;
    await cluster.waitOk();
    const result = await settle(sent, 40_000);
    report(t, `cluster primary kill -9 figures: sent=${sent.length} completed=${result.completed} lost=${result.lost} duplicates=${result.duplicates} pending=${result.pending}`);
    assert.equal(result.lost, 0);
    assert.equal(result.pending, 0);
  });
});
