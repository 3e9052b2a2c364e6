/**
 * The read gate of fair dispatch on NATS JetStream (private nats-server): with per-tenant consumers,
 * a tenant the gate refuses is not read (its messages stay with its consumer) while an admitted
 * tenant's are, and it is read once admitted; one read is shared out between admitted tenants; a
 * tenant appearing later is discovered; a receive with nothing admitted waits instead of spinning;
 * and switching from the single all-subjects consumer does not deliver again what it acknowledged.
 * The gate's granularity on NATS is a tenant (ADR 0009).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { NatsTaskInbox } from '../../src/adapters/nats/nats-task-inbox';
import { tenantConsumerName } from '../../src/adapters/nats/tenant-consumers';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { InboundTask, ReadGate } from '../../src/application/ports/task-inbox.port';
import { InMemoryLogger } from '../support/in-memory-logger';
import { publishRequest } from '../support/nats-flunq';
import { startNats, TestNats } from '../support/nats-server';

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let n = 0;
const inboxes: NatsTaskInbox[] = [];

before(async () => {
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
  jsm = await client.jetstreamManager();
});
afterEach(async () => {
  for (const inbox of inboxes.splice(0)) await inbox.close();
});
after(async () => {
  await nats.stop();
});

interface Space {
  stream: string;
  prefix: string;
}

function space(): Space {
  const id = ++n;
  return { stream: `GATE_${id}`, prefix: `gate${id}` };
}

async function inbox(s: Space, perTenant: boolean, blockMs = 500): Promise<NatsTaskInbox> {
  const created = new NatsTaskInbox(
    {
      connection: { url: nats.url, credsFile: undefined },
      stream: s.stream,
      subjectPrefix: s.prefix,
      durable: 'executor-service',
      consumerName: 'gate-test',
      ackWaitMs: 30_000,
      maxDeliver: 5,
      blockMs,
      settledTtlMs: 60_000,
      leaseMs: 30_000,
      perTenant,
    },
    new SystemClock(),
    new InMemoryLogger(),
  );
  inboxes.push(created);
  await created.connected();
  return created;
}

function publish(s: Space, tenant: string, workflow: string, count: number, from = 0): Promise<unknown> {
  return Promise.all(Array.from({ length: count }, (_, i) => publishRequest(js, s.prefix, { tenant, workflow, taskId: `task-${tenant}-${workflow}-${from + i}` })));
}

/** A gate that refuses the tenants in `refused`, and counts what it was asked. */
function gate(refused: Set<string>): ReadGate & { asked: number } {
  const g = {
    asked: 0,
    admits(tenantId: string): boolean {
      g.asked++;
      return !refused.has(tenantId);
    },
  };
  return g;
}

/** Receives (acknowledging what comes) until `count` tasks came or `ms` passed. */
async function receiveAll(from: NatsTaskInbox, g: ReadGate | undefined, count: number, ms = 3000, max = count): Promise<InboundTask[]> {
  const out: InboundTask[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count && Date.now() < deadline) {
    const got = await from.receive(Math.min(max, count - out.length), AbortSignal.timeout(Math.max(1, deadline - Date.now())), g);
    for (const task of got) await task.discard();
    out.push(...got);
  }
  return out;
}

function tenantsOf(tasks: InboundTask[]): string[] {
  return tasks.map((t) => t.event.tenantId).sort();
}

describe('NATS inbox with per-tenant consumers: the read gate', () => {
  it("leaves a refused tenant's messages unread while an admitted tenant's are read, and reads them once admitted", async () => {
    const s = space();
    const reader = await inbox(s, true);
    await publish(s, 'busy', 'wf_1', 5);
    await publish(s, 'small', 'wf_s', 2);
    const refused = new Set(['busy']);
    const first = await receiveAll(reader, gate(refused), 10, 1500);
    assert.deepEqual(tenantsOf(first), ['small', 'small']);
    const busy = await jsm.consumers.info(s.stream, tenantConsumerName('executor-service', 'busy'));
    assert.equal(busy.num_pending, 5, 'the refused tenant\'s messages are still with its consumer');
    assert.equal(busy.num_ack_pending, 0, 'none of them was delivered');
    refused.clear();
    const later = await receiveAll(reader, gate(refused), 5);
    assert.deepEqual(tenantsOf(later), Array(5).fill('busy'));
  });

  it('shares one read between the admitted tenants (the first one asked rotates)', async () => {
    const s = space();
    const reader = await inbox(s, true);
    await publish(s, 'a', 'wf', 6);
    await publish(s, 'b', 'wf', 6);
    const reads: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const got = await reader.receive(2, AbortSignal.timeout(3000), gate(new Set()));
      for (const task of got) await task.discard();
      reads.push(tenantsOf(got));
    }
    for (const read of reads) assert.deepEqual(read, ['a', 'b']);
  });

  it('reads one message promptly from the only tenant with work among many drained ones', async () => {
    const s = space();
    const reader = await inbox(s, true);
    await Promise.all(Array.from({ length: 30 }, (_, i) => publish(s, `t${i}`, 'wf', 1)));
    assert.equal((await receiveAll(reader, gate(new Set()), 30, 5000)).length, 30);
    // Idle a while, then one message for one of them: read within a poll or two, whatever the rotation.
    assert.deepEqual(await reader.receive(1, AbortSignal.timeout(700), gate(new Set())), []);
    await publish(s, 't17', 'wf', 1, 1);
    const started = Date.now();
    const got = await receiveAll(reader, gate(new Set()), 1, 3000, 1);
    assert.deepEqual(tenantsOf(got), ['t17']);
    assert.ok(Date.now() - started < 800, `read after ${Date.now() - started} ms`);
  });

  it('discovers a tenant that appears after the inbox was set up', async () => {
    const s = space();
    const reader = await inbox(s, true);
    await publish(s, 'early', 'wf', 1);
    assert.deepEqual(tenantsOf(await receiveAll(reader, gate(new Set()), 1)), ['early']);
    await publish(s, 'late', 'wf', 2);
    const started = Date.now();
    assert.deepEqual(tenantsOf(await receiveAll(reader, gate(new Set()), 2)), ['late', 'late']);
    assert.ok(Date.now() - started < 1500, `the new tenant was read after ${Date.now() - started} ms`);
  });

  it('waits (does not spin) while only refused work is there, and ends the wait when its signal aborts', async () => {
    const s = space();
    const reader = await inbox(s, true);
    await publish(s, 'busy', 'wf_1', 3);
    const g = gate(new Set(['busy']));
    let receives = 0;
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      receives++;
      assert.deepEqual(await reader.receive(10, AbortSignal.timeout(Math.max(1, until - Date.now())), g), []);
    }
    assert.ok(receives < 20, `${receives} receives in a second`);
    assert.ok(g.asked < 50, `the gate was asked ${g.asked} times`);
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    assert.deepEqual(await reader.receive(10, stop.signal, g), []);
    assert.ok(Date.now() - started < 450, `receive took ${Date.now() - started} ms after an abort at 100 ms (block time 500 ms)`);
  });

  it('takes over from the single all-subjects consumer after its acknowledgement floor and deletes it, and back', async () => {
    const s = space();
    const single = await inbox(s, false);
    await publish(s, 'acme', 'wf', 4);
    assert.equal((await receiveAll(single, undefined, 4)).length, 4);
    await single.close();
    await publish(s, 'acme', 'wf', 2, 4);
    const reader = await inbox(s, true);
    const got = await receiveAll(reader, gate(new Set()), 10, 1500);
    assert.deepEqual(got.map((t) => t.event.taskId).sort(), ['task-acme-wf-4', 'task-acme-wf-5']);
    await assert.rejects(jsm.consumers.info(s.stream, 'executor-service'), /not found/i);
    // And back (fair dispatch turned off): the single consumer starts after the tenants' floor.
    await reader.close();
    await publish(s, 'acme', 'wf', 1, 6);
    const again = await inbox(s, false);
    assert.deepEqual((await receiveAll(again, undefined, 10, 1500)).map((t) => t.event.taskId), ['task-acme-wf-6']);
    await assert.rejects(jsm.consumers.info(s.stream, tenantConsumerName('executor-service', 'acme')), /not found/i);
  });
});
