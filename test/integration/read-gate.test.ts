/**
 * The read gate of fair dispatch, honoured by each backend that can tell a task's tenant and
 * workflow before reading it: the memory inbox and the Redis inbox (private Redis, keys unique per
 * run). New tasks of a tenant or workflow the gate refuses stay unread in the backend, and are read
 * as soon as it admits them; a receive with nothing admitted waits instead of spinning.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { EntryStreamInbox } from '../../src/adapters/flunq-wire/entry-stream-inbox';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../src/adapters/memory/in-memory-task-source';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { InboundTask, ReadGate } from '../../src/application/ports/task-inbox.port';
import { requestFields, streamKey } from '../support/flunq';
import { startRedis, TestRedis } from '../support/redis-server';
import { newRedisSource } from '../support/redis-source';

interface Backend {
  inbox: EntryStreamInbox;
  add(stream: string, fields: Record<string, string>): Promise<void>;
}

/**
 * A gate that refuses what `refused` names (`tenant` or `tenant/workflow`) and every tenant of an
 * earlier test (whose refused tasks are still unread), and counts what it was asked.
 */
function gate(refused: Set<string>, run: number): ReadGate & { asked: number } {
  const g = {
    asked: 0,
    admits(tenantId: string, workflowId: string): boolean {
      g.asked++;
      return tenantId.endsWith(`_${run}`) && !refused.has(tenantId) && !refused.has(`${tenantId}/${workflowId}`);
    },
  };
  return g;
}

function tenantsOf(tasks: InboundTask[]): string[] {
  return tasks.map((t) => `${t.event.tenantId}/${t.event.workflowId}`).sort();
}

/** Receives until `count` tasks came or `ms` passed. */
async function receiveAll(inbox: EntryStreamInbox, g: ReadGate, count: number, ms = 3000): Promise<InboundTask[]> {
  const out: InboundTask[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count && Date.now() < deadline) out.push(...(await inbox.receive(count - out.length, new AbortController().signal, g)));
  return out;
}

function describeReadGate(name: string, open: () => Promise<Backend>, close: () => Promise<void>): void {
  describe(`${name} inbox: the read gate`, () => {
    let backend: Backend;
    let run = 0;
    const stream = (tenant: string, workflow: string): string => streamKey(`${tenant}_${run}`, workflow);
    const add = (tenant: string, workflow: string, n: number): Promise<void[]> =>
      Promise.all(Array.from({ length: n }, (_, i) => backend.add(stream(tenant, workflow), requestFields({ tenant: `${tenant}_${run}`, workflow, taskId: `task-${tenant}-${workflow}-${i}` }))));

    before(async () => {
      backend = await open();
    });
    afterEach(() => {
      run++;
    });
    after(close);

    it('leaves a refused tenant\'s tasks unread and reads them once it is admitted', async () => {
      // The backend learns the streams first (discovery, groups), with nothing refused.
      await add('small', 'wf_s', 1);
      await add('busy', 'wf_1', 1);
      assert.equal((await receiveAll(backend.inbox, gate(new Set(), run), 2)).length, 2);
      await add('busy', 'wf_1', 5);
      await add('small', 'wf_s', 2);
      const refused = new Set([`busy_${run}`]);
      const first = await receiveAll(backend.inbox, gate(refused, run), 10, 1500);
      assert.deepEqual(tenantsOf(first), [`small_${run}/wf_s`, `small_${run}/wf_s`]);
      refused.clear();
      const later = await receiveAll(backend.inbox, gate(refused, run), 5);
      assert.deepEqual(tenantsOf(later), Array(5).fill(`busy_${run}/wf_1`));
    });

    it('refuses one workflow of a tenant and reads its other workflows', async () => {
      await add('busy', 'wf_1', 1);
      await add('busy', 'wf_2', 1);
      assert.equal((await receiveAll(backend.inbox, gate(new Set(), run), 2)).length, 2);
      await add('busy', 'wf_1', 3);
      await add('busy', 'wf_2', 3);
      const got = await receiveAll(backend.inbox, gate(new Set([`busy_${run}/wf_1`]), run), 10, 1500);
      assert.deepEqual(tenantsOf(got), Array(3).fill(`busy_${run}/wf_2`));
    });

    it('waits (does not spin) while only refused work is there, and ends the wait when its signal aborts', async () => {
      await add('busy', 'wf_1', 1);
      assert.equal((await receiveAll(backend.inbox, gate(new Set(), run), 1)).length, 1);
      await add('busy', 'wf_1', 3);
      const g = gate(new Set([`busy_${run}`]), run);
      // For about a second: few receives (each waits), nothing read.
      let receives = 0;
      const until = Date.now() + 1000;
      while (Date.now() < until) {
        receives++;
        assert.deepEqual(await backend.inbox.receive(10, AbortSignal.timeout(Math.max(1, until - Date.now())), g), []);
      }
      assert.ok(receives < 20, `${receives} receives in a second`);
      assert.ok(g.asked < 200, `the gate was asked ${g.asked} times`);
      // The wait ends when the signal aborts.
      const stop = new AbortController();
      const started = Date.now();
      setTimeout(() => stop.abort(), 100);
      assert.deepEqual(await backend.inbox.receive(10, stop.signal, g), []);
      assert.ok(Date.now() - started < 450, `receive took ${Date.now() - started} ms after an abort at 100 ms (block time 500 ms)`);
    });
  });
}

const clock = new SystemClock();
let memoryBroker: InMemoryStreamBroker;
describeReadGate(
  'memory',
  () => {
    memoryBroker = new InMemoryStreamBroker(clock);
    const source = new InMemoryTaskSource(memoryBroker, clock, { group: 'executor-service', consumer: 'c1', reclaimIdleMs: 0, blockMs: 500 });
    return Promise.resolve({ inbox: new EntryStreamInbox(source), add: (s, f) => Promise.resolve(void memoryBroker.append(s, f)) });
  },
  () => Promise.resolve(),
);

let redis: TestRedis;
let client: Redis;
let redisInbox: EntryStreamInbox | undefined;
describeReadGate(
  'Redis',
  async () => {
    redis = await startRedis();
    client = redis.client();
    redisInbox = new EntryStreamInbox(newRedisSource(redis.url, { blockMs: 500, reclaimEnabled: false, reclaimIntervalMs: 1000 }));
    return {
      inbox: redisInbox,
      add: async (s, f) => {
        await client.xadd(s, '*', ...Object.entries(f).flat());
      },
    };
  },
  async () => {
    await redisInbox?.close();
    await redis.stop();
  },
);
