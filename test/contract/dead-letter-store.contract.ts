import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { deadLetterFields } from '../../src/adapters/flunq-wire/stream-fields';
import { ListDeadLetters } from '../../src/application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../src/application/operations/purge-dead-letters.use-case';
import { ResolveDeadLetters } from '../../src/application/operations/resolve-dead-letters.use-case';
import { DeadLetterStore } from '../../src/application/ports/dead-letter-store.port';
import { deadLetterReason } from '../../src/domain/flunq-events';
import { rfc3339Seconds } from '../../src/domain/time-format';
import { requestFields } from '../support/flunq';

/** A workflow's place in the backend: its location (stream key, subject) and its ids. */
export interface ContractWorkflow {
  location: string;
  tenant: string;
  workflow: string;
}

/** What the dead-letter contract needs from a backend under test; one harness per test. */
export interface DeadLetterHarness {
  /** The store under test; it sees the workflows of this harness only. */
  readonly store: DeadLetterStore;
  /** A workflow no other harness uses. */
  newWorkflow(): ContractWorkflow;
  /** Appends a message (stream fields) as the flunq worker or an executor would; its message id. */
  append(workflow: ContractWorkflow, fields: Record<string, string>): Promise<string>;
  /** The ids of every message at the workflow's location, in order. */
  messageIds(workflow: ContractWorkflow): Promise<string[]>;
  /** The backend's own records (replays, resolution) kept beside one dead letter, by name; absent where they cannot be seen from outside. */
  records?(workflow: ContractWorkflow, messageId: string): Promise<string[]>;
  /** The store's clock, in ms (it moves only by `passTime`). */
  now(): number;
  /** Lets `ms` pass for the backend and the store alike (a real backend stamps messages in real time: then real time). */
  passTime(ms: number): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** A request and its dead letter (as the executor writes it) on `w`; their ids. */
async function deadLettered(h: DeadLetterHarness, w: ContractWorkflow, reason = 'UNKNOWN_TASK_TYPE: teleport'): Promise<{ taskId: string; requestId: string; deadLetterId: string }> {
  const taskId = `task-contract-${1756150540123456789n + BigInt(++seq)}`;
  const request = requestFields({ tenant: w.tenant, workflow: w.workflow, taskId, taskType: 'teleport' });
  const requestId = await h.append(w, request);
  const deadLetterId = await h.append(w, { ...deadLetterFields(request, deadLetterReason(reason), 1), id: `task-dlq-${taskId}` });
  return { taskId, requestId, deadLetterId };
}

/** The dead-letter store's contract: list, get, replay, resolve and purge behave alike on every backend. */
export function describeDeadLetterStoreContract(name: string, makeHarness: () => Promise<DeadLetterHarness>): void {
  describe(`DeadLetterStore contract: ${name}`, () => {
    let h: DeadLetterHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('lists each dead letter with its status: open, then replayed with its count, then resolved with who, when and the note', async () => {
      const w = h.newWorkflow();
      const { taskId, deadLetterId } = await deadLettered(h, w);
      const summary = async () => (await h.store.list()).find((d) => d.messageId === deadLetterId);
      const open = await summary();
      assert.deepEqual([open?.taskId, open?.status, open?.replays, open?.resolution], [taskId, 'open', 0, undefined]);
      await h.store.replay(w.location, deadLetterId);
      await h.store.replay(w.location, deadLetterId);
      const replayed = await summary();
      assert.deepEqual([replayed?.status, replayed?.replays, replayed?.resolution], ['replayed', 2, undefined]);
      const resolvedAt = rfc3339Seconds(h.now());
      const result = await h.store.resolve(w.location, deadLetterId, { by: 'alice@ops-1', note: 'fixed the downstream' });
      assert.deepEqual(result, { resolution: { resolvedAt, by: 'alice@ops-1', note: 'fixed the downstream' }, alreadyResolved: false });
      const resolved = await summary();
      assert.deepEqual([resolved?.status, resolved?.replays, resolved?.resolution], ['resolved', 2, { resolvedAt, by: 'alice@ops-1', note: 'fixed the downstream' }]);
      const shown = await h.store.get(w.location, deadLetterId);
      assert.deepEqual([shown?.summary.status, shown?.summary.resolution?.by, shown?.replays.length, shown?.event.type], ['resolved', 'alice@ops-1', 2, 'io.flunq.task.dlq']);
    });

    it('resolves once: a second resolve keeps the first resolution and says so; a resolution without a note has none', async () => {
      const w = h.newWorkflow();
      const { deadLetterId } = await deadLettered(h, w);
      const first = await h.store.resolve(w.location, deadLetterId, { by: 'alice' });
      assert.equal(first.resolution.note, undefined);
      const second = await h.store.resolve(w.location, deadLetterId, { by: 'bob', note: 'me too' });
      assert.deepEqual(second, { resolution: first.resolution, alreadyResolved: true });
      assert.deepEqual((await h.store.get(w.location, deadLetterId))?.summary.resolution, first.resolution);
    });

    it('refuses to resolve what is not a dead letter', async () => {
      const w = h.newWorkflow();
      const { requestId, deadLetterId } = await deadLettered(h, w);
      await assert.rejects(h.store.resolve(w.location, requestId, { by: 'alice' }), /is not a dead letter/);
      await assert.rejects(h.store.resolve(h.newWorkflow().location, deadLetterId, { by: 'alice' }), /is not a dead letter/, 'the right id at another location');
      assert.equal((await h.store.get(w.location, deadLetterId))?.summary.status, 'open');
    });

    it('purges the dead letter alone, with its replay records and resolution: the request and the replayed requests stay', async () => {
      const w = h.newWorkflow();
      const { requestId, deadLetterId } = await deadLettered(h, w);
      const other = await deadLettered(h, w);
      const replay = await h.store.replay(w.location, deadLetterId);
      await h.store.replay(w.location, other.deadLetterId);
      await h.store.resolve(w.location, deadLetterId, { by: 'alice', note: 'done' });
      if (h.records) assert.notDeepEqual(await h.records(w, deadLetterId), [], 'records are kept beside the dead letter');
      const before = await h.messageIds(w);
      assert.deepEqual(await h.store.purge(w.location, deadLetterId), { replayRecords: 1, resolution: true });
      assert.deepEqual(await h.messageIds(w), before.filter((id) => id !== deadLetterId), 'only the dead letter is gone');
      assert.ok(before.includes(requestId) && before.includes(replay.messageId));
      assert.equal(await h.store.get(w.location, deadLetterId), undefined);
      assert.deepEqual((await h.store.list([w.location])).map((d) => d.messageId), [other.deadLetterId]);
      if (h.records) assert.deepEqual(await h.records(w, deadLetterId), [], 'its records are gone');
      const kept = await h.store.get(w.location, other.deadLetterId);
      assert.deepEqual([kept?.summary.status, kept?.replays.length], ['replayed', 1], 'the other dead letter keeps its records');
    });

    it('refuses to purge what is not a dead letter: a request, an outcome, an unknown id, one purged already', async () => {
      const w = h.newWorkflow();
      const { requestId, deadLetterId } = await deadLettered(h, w);
      const completion = await h.append(w, { ...requestFields({ tenant: w.tenant, workflow: w.workflow, taskId: 'task-done-1' }), type: 'io.flunq.task.completed', id: 'task-completed-task-done-1' });
      const before = await h.messageIds(w);
      await assert.rejects(h.store.purge(w.location, requestId), /is not a dead letter/);
      await assert.rejects(h.store.purge(w.location, completion), /is not a dead letter/);
      await assert.rejects(h.store.purge(h.newWorkflow().location, deadLetterId), /is not a dead letter/);
      assert.deepEqual(await h.messageIds(w), before, 'nothing was deleted');
      await h.store.purge(w.location, deadLetterId);
      await assert.rejects(h.store.purge(w.location, deadLetterId), /is not a dead letter/);
      await assert.rejects(h.store.resolve(w.location, deadLetterId, { by: 'alice' }), /is not a dead letter/);
    });

    it('resolves and purges by filter (location, workflow, reason, age, status) through the use cases', async () => {
      const a = h.newWorkflow();
      const b = h.newWorkflow();
      const oldA = await deadLettered(h, a, 'PUBLICATION_FAILED: down');
      const oldB = await deadLettered(h, b, 'MALFORMED_EVENT: bad');
      await h.passTime(1500);
      const newA = await deadLettered(h, a, 'PUBLICATION_FAILED: down');
      const resolve = new ResolveDeadLetters(h.store);
      const purge = new PurgeDeadLetters(h.store);
      const list = new ListDeadLetters(h.store);
      const ids = (outcomes: { messageId: string }[]) => outcomes.map((o) => o.messageId);

      assert.deepEqual(ids(await resolve.execute({ matching: { reason: 'publication_failed', olderThanMs: 1000 }, by: 'ops' })), [oldA.deadLetterId]);
      assert.deepEqual(ids(await list.execute({ statuses: ['open', 'replayed'] })).sort(), [oldB.deadLetterId, newA.deadLetterId].sort());
      assert.deepEqual(ids(await purge.execute({ matching: { locations: [a.location], statuses: ['open'] } })), [newA.deadLetterId]);
      assert.deepEqual(ids(await purge.execute({ matching: { workflowId: b.workflow } })), [oldB.deadLetterId]);
      assert.deepEqual(ids(await list.execute()), [oldA.deadLetterId]);
      const outcomes = await purge.execute({ matching: { statuses: ['resolved'], olderThanMs: 1000 } });
      assert.deepEqual(outcomes, [{ location: a.location, messageId: oldA.deadLetterId, purged: { replayRecords: 0, resolution: true } }]);
      assert.deepEqual(await list.execute(), []);
    });
  });
}
