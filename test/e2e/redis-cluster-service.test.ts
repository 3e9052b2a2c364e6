import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { slotOf } from '../../src/adapters/redis/stream-keys';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { startCluster, TestCluster } from '../support/redis-cluster';
import { eventually } from '../support/redis-server';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const COMPLETED = 'io.flunq.task.completed';
let cluster: TestCluster;
let client: Cluster;
const services: ServiceProcess[] = [];

async function launch(hostname: string): Promise<ServiceProcess> {
  const service = await startService({
    REDIS_CLUSTER_NODES: cluster.seeds,
    HOSTNAME: hostname,
    EXECUTOR_CONCURRENCY: '8',
    EXECUTOR_RECLAIM_IDLE: '1s',
    EXECUTOR_RECLAIM_INTERVAL: '250ms',
    EXECUTOR_SHUTDOWN_TIMEOUT: '10s',
  });
  services.push(service);
  return service;
}

before(async () => {
  buildService();
  cluster = await startCluster(3);
  client = cluster.client();
});
after(async () => {
  for (const s of services) s.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  await cluster.stop();
});

describe('the built service against a private Redis Cluster', () => {
  it('kill -9 with tasks in flight on every primary, then a second replica: every task has exactly one completion and nothing is left pending', async (t) => {
    // Streams on every primary: `redis-cli --cluster create` gives each of the three a third of the slots.
    const streams: { workflow: string; stream: string }[] = [];
    const perThird = [0, 0, 0];
    for (let i = 0; streams.length < 9; i++) {
      const stream = streamKey('acme', `wf_kill_${i}`);
      const third = Math.min(2, Math.floor(slotOf(stream) / 5462));
      if ((perThird[third] ?? 0) >= 3) continue;
      perThird[third] = (perThird[third] ?? 0) + 1;
      streams.push({ workflow: `wf_kill_${i}`, stream });
    }
    const first = await launch('e2e-cluster-1');
    const sent: { stream: string; taskId: string }[] = [];
    // Waits of 1.5 s, 8 at a time: a kill after the first completions catches tasks in flight.
    for (let i = 0; i < 45; i++) {
      const { workflow, stream } = streams[i % streams.length] as { workflow: string; stream: string };
      const taskId = `task-cluster-wait-${i}`;
      sent.push({ stream, taskId });
      await xadd(client, stream, requestFields({ tenant: 'acme', workflow, taskId, taskName: 'pause', taskType: 'wait', parameters: { duration: '1500ms' } }));
    }
    const counts = async (): Promise<Map<string, number>> => {
      const per = new Map<string, number>();
      for (const { stream } of streams) for (const e of await entriesOfType(client, stream, COMPLETED)) per.set(e.fields['taskid'] ?? '', (per.get(e.fields['taskid'] ?? '') ?? 0) + 1);
      return per;
    };
    const pending = async (): Promise<number> => {
      let sum = 0;
      for (const { stream } of streams) sum += await pendingCount(client, stream);
      return sum;
    };
    await eventually('some tasks done, others running', async () => (await counts()).size >= 8 && (await pending()) > 0, 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${first.output().slice(-3000)}`);
    });
    first.kill('SIGKILL');
    await first.exited;
    const inFlight = await pending();
    assert.ok(inFlight > 0, 'tasks were in flight at the kill');

    // Another replica (another host name) reclaims the dead consumer's entries after 1 s idle.
    const second = await launch('e2e-cluster-2');
    await eventually('every task completed', async () => (await counts()).size >= sent.length, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output().slice(-3000)}`);
    });
    await eventually('nothing pending', async () => (await pending()) === 0, 10_000);
    const per = await counts();
    const completed = sent.filter((s) => per.has(s.taskId)).length;
    const lost = sent.length - completed;
    const duplicates = [...per.values()].reduce((sum, c) => sum + Math.max(0, c - 1), 0);
    const left = await pending();
    const figures = `cluster kill -9 figures: sent=${sent.length} inFlight=${inFlight} completed=${completed} lost=${lost} duplicates=${duplicates} pending=${left}`;
    t.diagnostic(figures);
    process.stderr.write(`${figures}\n`);
    assert.equal(lost, 0);
    assert.equal(duplicates, 0);
    assert.equal(left, 0);
    second.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('SIGTERM with tasks in flight on every primary: they complete and are acknowledged before the process exits with 0', async () => {
    const streams: string[] = [];
    const perThird = [0, 0, 0];
    for (let i = 0; streams.length < 3; i++) {
      const stream = streamKey('acme', `wf_term_${i}`);
      const third = Math.min(2, Math.floor(slotOf(stream) / 5462));
      if ((perThird[third] ?? 0) >= 1) continue;
      perThird[third] = 1;
      streams.push(stream);
    }
    const service = await launch('e2e-cluster-term');
    const ids: string[] = [];
    for (const [i, stream] of streams.entries()) {
      const workflow = stream.split(':')[3] ?? '';
      for (let j = 0; j < 2; j++) {
        const taskId = `task-cluster-term-${i}-${j}`;
        ids.push(taskId);
        await xadd(client, stream, requestFields({ tenant: 'acme', workflow, taskId, taskName: 'pause', taskType: 'wait', parameters: { duration: '1500ms' } }));
      }
    }
    const pending = async (): Promise<number> => {
      let sum = 0;
      for (const stream of streams) sum += await pendingCount(client, stream);
      return sum;
    };
    await eventually('all six running', async () => (await pending()) === ids.length, 15_000);
    service.kill('SIGTERM');
    assert.equal(await service.exited, 0, service.output().slice(-2000));
    const done = new Set<string>();
    for (const stream of streams) for (const e of await entriesOfType(client, stream, COMPLETED)) done.add(e.fields['taskid'] ?? '');
    assert.deepEqual([...done].sort(), [...ids].sort());
    assert.equal(await pending(), 0);
  });
});
