import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Delivery, EntryStream } from '../../src/adapters/flunq-wire/entry-stream';

export interface PendingInfo {
  id: string;
  consumer: string;
  deliveryCount: number;
}

/** What the contract needs from an adapter under test; one harness per test. */
export interface ContractHarness {
  /** Idle time after which the sources created here reclaim another consumer's entries (ms). */
  readonly reclaimIdleMs: number;
  /** How long a task claim of the sources created here lasts without renewal (ms). */
  readonly leaseMs: number;
  /** A source of group `contract` reading exactly `streams` as `consumer`. */
  source(consumer: string, streams: string[]): Promise<EntryStream>;
  /** A stream name no other test uses. */
  newStream(): string;
  append(stream: string, fields: Record<string, string>): Promise<string>;
  entries(stream: string): Promise<{ id: string; fields: Record<string, string> }[]>;
  pending(stream: string): Promise<PendingInfo[]>;
  /** Lets `ms` pass (fake clock or real time). */
  elapse(ms: number): Promise<void>;
  /** Simulates a crash of a source: it stops without settling anything. */
  crash(source: EntryStream): Promise<void>;
  close(): Promise<void>;
}

function request(taskId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    id: `task-requested-${taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: 'io.flunq.task.requested',
    time: '2025-08-25T19:35:40Z',
    workflowid: 'wf_contract',
    executionid: 'ex_contract',
    taskid: taskId,
    tenantid: 'acme',
    data: JSON.stringify({ task_id: taskId, task_name: 'x', task_type: 'set', config: { parameters: { set_data: { a: 1 } } } }),
    ...extra,
  };
}

/** Like AbortSignal.timeout, but its timer keeps the event loop alive (a fake clock has no timers). */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('timeout')), ms);
  return controller.signal;
}

/** Receives until `n` deliveries arrived (or the deadline), checking that no call returns more than `max`. */
async function receiveN(source: EntryStream, n: number, max = 10, deadlineMs = 4000): Promise<Delivery[]> {
  const out: Delivery[] = [];
  const deadline = Date.now() + deadlineMs;
  while (out.length < n && Date.now() < deadline) {
    const batch = await source.receive(max, timeoutSignal(300));
    assert.ok(batch.length <= max, `receive(${max}) returned ${batch.length}`);
    out.push(...batch);
  }
  return out;
}

/** Everything received within `ms`. */
async function receiveFor(source: EntryStream, ms: number, max = 10): Promise<Delivery[]> {
  const out: Delivery[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) out.push(...(await source.receive(max, timeoutSignal(Math.max(1, deadline - Date.now())))));
  return out;
}

/** The EntryStream contract (what the Redis and in-process backends provide), run against every adapter. */
export function describeTaskSourceContract(name: string, factory: () => Promise<ContractHarness>): void {
  describe(`entry stream contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers new entries in order, task requests and other entries alike, with delivery count 1', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      const id1 = await h.append(stream, request('t1'));
      const id2 = await h.append(stream, { id: 'x', source: 'worker-service', specversion: '1.0', type: 'io.flunq.execution.started', time: '2025-08-25T19:35:40Z' });
      const id3 = await h.append(stream, request('t3'));
      const got = await receiveN(a, 3);
      assert.deepEqual(
        got.map((d) => [d.stream, d.entryId, d.deliveryCount]),
        [
          [stream, id1, 1],
          [stream, id2, 1],
          [stream, id3, 1],
        ],
      );
      assert.equal(got[0]?.fields['taskid'], 't1');
      assert.equal(got[1]?.fields['type'], 'io.flunq.execution.started');
      assert.deepEqual(
        (await h.pending(stream)).map((p) => [p.id, p.consumer]),
        [
          [id1, 'c1'],
          [id2, 'c1'],
          [id3, 'c1'],
        ],
      );
    });

    it('never returns more than max, and each entry once', async () => {
      const stream = h.newStream();
      const other = h.newStream();
      const a = await h.source('c1', [stream, other]);
      for (let i = 0; i < 5; i++) await h.append(stream, request(`m${i}`));
      for (let i = 0; i < 3; i++) await h.append(other, request(`o${i}`));
      const got = await receiveN(a, 8, 2);
      assert.equal(got.length, 8);
      assert.equal(new Set(got.map((d) => `${d.stream}/${d.entryId}`)).size, 8);
      const one = await a.receive(1, timeoutSignal(200));
      assert.equal(one.length, 0);
    });

    it('after a restart, returns its own pending entries first (delivery count 2), then new ones', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      const id1 = await h.append(stream, request('p1'));
      const id2 = await h.append(stream, request('p2'));
      assert.equal((await receiveN(a, 2)).length, 2);
      await h.crash(a);
      const id3 = await h.append(stream, request('p3'));
      const again = await h.source('c1', [stream]);
      const got = await receiveN(again, 3);
      assert.deepEqual(
        got.map((d) => [d.entryId, d.deliveryCount]),
        [
          [id1, 2],
          [id2, 2],
          [id3, 1],
        ],
      );
    });

    it('settle appends the entries and acknowledges the delivery atomically, records the task, and is idempotent', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, request('s1'));
      const [d] = await receiveN(a, 1);
      assert.ok(d);
      assert.equal(await a.claimTask(d, 's1'), 'claimed');
      await a.settle(d, [{ type: 'io.flunq.task.completed', id: 'task-completed-s1' }, { type: 'io.flunq.task.dlq', reason: 'r' }], 's1');
      const entries = await h.entries(stream);
      assert.deepEqual(
        entries.map((e) => e.fields['type']),
        ['io.flunq.task.requested', 'io.flunq.task.completed', 'io.flunq.task.dlq'],
      );
      assert.deepEqual(entries[1]?.fields, { type: 'io.flunq.task.completed', id: 'task-completed-s1' });
      assert.deepEqual(await h.pending(stream), []);
      await a.settle(d, [{ type: 'io.flunq.task.completed', id: 'task-completed-s1' }], 's1');
      assert.equal((await h.entries(stream)).length, 3, 'settling the same delivery again writes nothing');
      await h.append(stream, request('s1'));
      const [again] = await receiveN(a, 1);
      assert.ok(again);
      assert.equal(await a.claimTask(again, 's1'), 'settled', 'the task is recorded as settled');
      assert.equal(await a.claimTask(again, 'other'), 'claimed');
    });

    it('settling another delivery of a task that already has an outcome only acknowledges it', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, request('twice'));
      await h.append(stream, request('twice'));
      const [first, second] = await receiveN(a, 2);
      assert.ok(first && second);
      await a.settle(first, [{ type: 'io.flunq.task.completed', id: 'task-completed-twice' }], 'twice');
      await a.settle(second, [{ type: 'io.flunq.task.completed', id: 'task-completed-twice' }], 'twice');
      const types = (await h.entries(stream)).map((e) => e.fields['type']);
      assert.deepEqual(types, ['io.flunq.task.requested', 'io.flunq.task.requested', 'io.flunq.task.completed'], 'one completion only');
      assert.deepEqual(await h.pending(stream), [], 'both deliveries acknowledged');
    });

    it('acknowledge removes the entry from the pending list without writing anything', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, { type: 'io.flunq.task.completed', id: 'task-completed-z' });
      const [d] = await receiveN(a, 1);
      assert.ok(d);
      await a.acknowledge(d);
      assert.deepEqual(await h.pending(stream), []);
      assert.equal((await h.entries(stream)).length, 1);
      assert.equal((await receiveFor(a, 300)).length, 0);
    });

    it("reclaims a dead consumer's idle entries with delivery count 2", async () => {
      const stream = h.newStream();
      const dead = await h.source('dead', [stream]);
      const id = await h.append(stream, request('r1'));
      assert.equal((await receiveN(dead, 1)).length, 1);
      await h.crash(dead);
      await h.elapse(h.reclaimIdleMs + 100);
      const alive = await h.source('alive', [stream]);
      const got = await receiveN(alive, 1);
      assert.deepEqual(
        got.map((d) => [d.entryId, d.deliveryCount]),
        [[id, 2]],
      );
      assert.deepEqual(
        (await h.pending(stream)).map((p) => [p.id, p.consumer, p.deliveryCount]),
        [[id, 'alive', 2]],
      );
    });

    it('claimTask: the first entry of a task claims it, again idempotently; another entry of the same task finds it running', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, request('dup'));
      await h.append(stream, request('dup'));
      const [first, second] = await receiveN(a, 2);
      assert.ok(first && second);
      assert.equal(await a.claimTask(first, 'dup'), 'claimed');
      assert.equal(await a.claimTask(first, 'dup'), 'claimed', 'claiming again renews');
      assert.equal(await a.claimTask(second, 'dup'), 'running');
      assert.equal(await a.claimTask(second, 'other-task'), 'claimed', 'claims are per task');
      const b = await h.source('c2', [stream]);
      assert.equal(await b.claimTask(second, 'dup'), 'running', 'whichever consumer asks');
    });

    it('claimTask: settling releases the claim and records the outcome, so later entries of the task find it settled', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, request('once'));
      await h.append(stream, request('once'));
      const [first, second] = await receiveN(a, 2);
      assert.ok(first && second);
      assert.equal(await a.claimTask(first, 'once'), 'claimed');
      await a.settle(first, [{ type: 'io.flunq.task.completed', id: 'task-completed-once' }], 'once');
      assert.equal(await a.claimTask(second, 'once'), 'settled');
    });

    it('claimTask: the same entry redelivered after a crash, or reclaimed by another consumer, takes the claim over', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      await h.append(stream, request('crash'));
      const [d] = await receiveN(a, 1);
      assert.ok(d);
      assert.equal(await a.claimTask(d, 'crash'), 'claimed');
      await h.append(stream, request('crash'));
      await h.crash(a);
      const restarted = await h.source('c1', [stream]);
      const again = await receiveN(restarted, 2);
      const redelivered = again.find((x) => x.entryId === d.entryId);
      const copy = again.find((x) => x.entryId !== d.entryId);
      assert.ok(redelivered && copy);
      assert.equal(redelivered.deliveryCount, 2);
      assert.equal(await restarted.claimTask(copy, 'crash'), 'running', 'another entry of the task does not take it over');
      assert.equal(await restarted.claimTask(redelivered, 'crash'), 'claimed', 'the same entry does');
      await h.crash(restarted);
      await h.elapse(h.reclaimIdleMs + 100);
      const other = await h.source('c2', [stream]);
      const reclaimed = (await receiveN(other, 2)).find((x) => x.entryId === d.entryId);
      assert.ok(reclaimed, 'reclaimed by another consumer');
      assert.equal(await other.claimTask(reclaimed, 'crash'), 'claimed');
    });

    it('claimTask: a claim that is not renewed expires after the lease time; keepAlive renews it', async () => {
      const stream = h.newStream();
      const a = await h.source('c1', [stream]);
      for (let i = 0; i < 3; i++) await h.append(stream, request('lease'));
      const [holder, copy, later] = await receiveN(a, 3);
      assert.ok(holder && copy && later);
      assert.equal(await a.claimTask(holder, 'lease'), 'claimed');
      await h.elapse(h.leaseMs * 0.6);
      await a.keepAlive(holder);
      await h.elapse(h.leaseMs * 0.6);
      assert.equal(await a.claimTask(copy, 'lease'), 'running', 'renewed by keepAlive');
      await h.elapse(h.leaseMs + 100);
      assert.equal(await a.claimTask(later, 'lease'), 'claimed', 'expired: its holder presumably died');
      assert.equal(await a.claimTask(holder, 'lease'), 'running', 'the new holder keeps it');
    });

    it('keepAlive resets the idle time, so a running entry is not reclaimed', async () => {
      const stream = h.newStream();
      const a = await h.source('busy', [stream]);
      await h.append(stream, request('k1'));
      const [d] = await receiveN(a, 1);
      assert.ok(d);
      await h.elapse(h.reclaimIdleMs + 100);
      await a.keepAlive(d);
      const b = await h.source('other', [stream]);
      assert.equal((await receiveFor(b, 150)).length, 0);
      assert.deepEqual(
        (await h.pending(stream)).map((p) => [p.consumer, p.deliveryCount]),
        [['busy', 1]],
      );
    });
  });
}
