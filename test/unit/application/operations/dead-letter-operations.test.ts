import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListDeadLetters } from '../../../../src/application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../../../src/application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../../../../src/application/operations/replay-dead-letters.use-case';
import { MAX_NOTE_CHARS, ResolveDeadLetters } from '../../../../src/application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../../../../src/application/operations/show-dead-letter.use-case';
import { DeadLetterStoreUnavailable } from '../../../../src/application/ports/dead-letter-store.port';
import { InMemoryDeadLetterStore } from '../../../support/in-memory-dead-letter-store';

const A = 'tenant:acme:workflow:wf_a:events';
const B = 'tenant:acme:workflow:wf_b:events';

function makeStore(): InMemoryDeadLetterStore {
  return new InMemoryDeadLetterStore([
    { location: A, messageId: '1-0', taskId: 'task-a-1', ageMs: 1000 },
    { location: A, messageId: '2-0', taskId: 'task-a-2', ageMs: 5000 },
    { location: B, messageId: '1-0', taskId: 'task-b-1', ageMs: 3000 },
  ]);
}

describe('ListDeadLetters', () => {
  it('lists every dead letter, oldest first, or only those at the given locations', async () => {
    const store = makeStore();
    const sut = new ListDeadLetters(store);
    assert.deepEqual((await sut.execute()).map((d) => d.taskId), ['task-a-2', 'task-b-1', 'task-a-1']);
    assert.deepEqual((await sut.execute({ locations: [B] })).map((d) => d.taskId), ['task-b-1']);
    assert.deepEqual((await sut.execute({ locations: [] })).length, 3, 'no locations: all of them');
  });

  it('counts the replays of each dead letter', async () => {
    const store = makeStore();
    await store.replay(A, '2-0');
    await store.replay(A, '2-0');
    const sut = new ListDeadLetters(store);
    assert.deepEqual((await sut.execute()).map((d) => [d.taskId, d.replays]), [['task-a-2', 2], ['task-b-1', 0], ['task-a-1', 0]]);
  });

  it('filters by workflow, reason (any part, any case), age and replay status; every criterion must hold', async () => {
    const store = new InMemoryDeadLetterStore([
      { location: A, messageId: '1-0', taskId: 'old-publication', workflowId: 'wf_a', reason: 'PUBLICATION_FAILED: redis down', ageMs: 7_200_000 },
      { location: A, messageId: '2-0', taskId: 'new-publication', workflowId: 'wf_a', reason: 'PUBLICATION_FAILED: redis down', ageMs: 60_000 },
      { location: B, messageId: '1-0', taskId: 'old-malformed', workflowId: 'wf_b', reason: 'MALFORMED_EVENT: bad json', ageMs: 9_000_000 },
    ]);
    const sut = new ListDeadLetters(store);
    const ids = async (filter: Parameters<ListDeadLetters['execute']>[0]): Promise<string[]> => (await sut.execute(filter)).map((d) => d.taskId);
    assert.deepEqual(await ids({ workflowId: 'wf_a' }), ['old-publication', 'new-publication']);
    assert.deepEqual(await ids({ reason: 'publication_failed' }), ['old-publication', 'new-publication']);
    assert.deepEqual(await ids({ reason: 'bad json' }), ['old-malformed']);
    assert.deepEqual(await ids({ olderThanMs: 3_600_000 }), ['old-malformed', 'old-publication']);
    assert.deepEqual(await ids({ olderThanMs: 3_600_000, workflowId: 'wf_a' }), ['old-publication']);
    assert.deepEqual(await ids({ locations: [B], reason: 'PUBLICATION' }), []);
    await store.replay(A, '1-0');
    assert.deepEqual(await ids({ workflowId: 'wf_a', notReplayed: true }), ['new-publication']);
  });

  it('gives each dead letter its status, and filters by status (none given: any)', async () => {
    const store = makeStore();
    await store.replay(A, '2-0');
    await store.resolve(B, '1-0', { by: 'ops' });
    const sut = new ListDeadLetters(store);
    assert.deepEqual((await sut.execute()).map((d) => [d.taskId, d.status, d.replays]), [['task-a-2', 'replayed', 1], ['task-b-1', 'resolved', 0], ['task-a-1', 'open', 0]]);
    assert.deepEqual((await sut.execute({ statuses: ['open', 'replayed'] })).map((d) => d.taskId), ['task-a-2', 'task-a-1']);
    assert.deepEqual((await sut.execute({ statuses: ['resolved'] })).map((d) => d.taskId), ['task-b-1']);
    assert.deepEqual((await sut.execute({ statuses: [] })).length, 3);
    assert.ok(!store.calls.some((c) => c.startsWith('get ')), 'the listing alone carries the counts and statuses');
  });
});

describe('ShowDeadLetter', () => {
  it('shows one dead letter with its request and replays, or nothing when there is none', async () => {
    const store = makeStore();
    await store.replay(A, '2-0');
    const sut = new ShowDeadLetter(store);
    const record = await sut.execute({ location: A, messageId: '2-0' });
    assert.equal(record?.summary.taskId, 'task-a-2');
    assert.equal(record?.event.taskId, 'task-a-2');
    assert.deepEqual(record?.replays.map((r) => r.replay), [1]);
    assert.equal(await sut.execute({ location: B, messageId: '2-0' }), undefined);
  });
});

describe('ReplayDeadLetters', () => {
  it('replays each dead letter in order; one that fails does not stop the others', async () => {
    const store = makeStore();
    store.failingReplays.add('2-0');
    const sut = new ReplayDeadLetters(store);
    const outcomes = await sut.execute({ location: A, messageIds: ['1-0', '2-0', '9-0', '1-0'] });
    assert.deepEqual(outcomes, [
      { location: A, messageId: '1-0', replayed: store.replays[0] },
      { location: A, messageId: '2-0', problem: 'write refused' },
      { location: A, messageId: '9-0', problem: `${A} 9-0 is not a dead letter` },
      { location: A, messageId: '1-0', replayed: store.replays[1] },
    ]);
    assert.deepEqual(store.replays.map((r) => [r.deadLetterId, r.replay]), [['1-0', 1], ['1-0', 2]], 'every call is a new replay');
  });

  it('replays every dead letter matching a filter (--all), at its own location', async () => {
    const store = makeStore();
    const sut = new ReplayDeadLetters(store);
    const outcomes = await sut.execute({ matching: { olderThanMs: 2000 } });
    assert.deepEqual(outcomes.map((o) => [o.location, o.messageId, 'replayed' in o]), [[A, '2-0', true], [B, '1-0', true]]);
    assert.ok(!store.calls.some((c) => c.startsWith('get ')), 'no replay counts are read when the filter does not need them');
    const again = await sut.execute({ matching: { notReplayed: true } });
    assert.deepEqual(again.map((o) => [o.location, o.messageId]), [[A, '1-0']], 'those replayed before are left out');
  });

  it('stops at an unreachable store instead of reporting every dead letter as failed', async () => {
    const store = makeStore();
    store.unavailable = true;
    const sut = new ReplayDeadLetters(store);
    await assert.rejects(sut.execute({ location: A, messageIds: ['1-0', '2-0'] }), DeadLetterStoreUnavailable);
    assert.deepEqual(store.calls, [`replay ${A} 1-0`]);
  });
});

describe('ResolveDeadLetters', () => {
  it('resolves each with who and the note; one resolved before keeps its first resolution; one that fails does not stop the others', async () => {
    const store = makeStore();
    store.failingWrites.add('2-0');
    const sut = new ResolveDeadLetters(store);
    await sut.execute({ location: A, messageIds: ['1-0'], by: 'alice@ops-1', note: '  fixed upstream  ' });
    const outcomes = await sut.execute({ location: A, messageIds: ['1-0', '2-0', '9-0'], by: 'bob@ops-2', note: 'again' });
    assert.deepEqual(outcomes, [
      { location: A, messageId: '1-0', resolved: { resolvedAt: '2025-08-25T19:40:00Z', by: 'alice@ops-1', note: 'fixed upstream' }, alreadyResolved: true },
      { location: A, messageId: '2-0', problem: 'write refused' },
      { location: A, messageId: '9-0', problem: `${A} 9-0 is not a dead letter` },
    ]);
  });

  it('resolves every unresolved match of a filter, and named dead letters anywhere', async () => {
    const store = makeStore();
    const sut = new ResolveDeadLetters(store);
    const first = await sut.execute({ matching: { olderThanMs: 2000, statuses: ['open', 'replayed'] }, by: 'ops' });
    assert.deepEqual(first.map((o) => [o.location, o.messageId, 'resolved' in o]), [[A, '2-0', true], [B, '1-0', true]]);
    const again = await sut.execute({ matching: { statuses: ['open', 'replayed'] }, by: 'ops' });
    assert.deepEqual(again.map((o) => [o.location, o.messageId]), [[A, '1-0']], 'those resolved are no longer matched');
    const named = await sut.execute({ items: [{ location: B, messageId: '1-0' }], by: 'ops' });
    assert.deepEqual(named.map((o) => 'resolved' in o && o.alreadyResolved), [true]);
  });

  it('refuses a note that cannot be kept before touching anything; names no one as `unknown`', async () => {
    const store = makeStore();
    const sut = new ResolveDeadLetters(store);
    await assert.rejects(sut.execute({ location: A, messageIds: ['1-0'], by: 'ops', note: 'x'.repeat(MAX_NOTE_CHARS + 1) }), /at most 1000/);
    await assert.rejects(sut.execute({ location: A, messageIds: ['1-0'], by: 'ops', note: 'bell\u0007' }), /control characters/);
    assert.deepEqual(store.calls, []);
    const [outcome] = await sut.execute({ location: A, messageIds: ['1-0'], by: '  ' });
    assert.deepEqual(outcome && 'resolved' in outcome && outcome.resolved, { resolvedAt: '2025-08-25T19:40:00Z', by: 'unknown' });
  });

  it('stops at an unreachable store', async () => {
    const store = makeStore();
    store.unavailable = true;
    await assert.rejects(new ResolveDeadLetters(store).execute({ location: A, messageIds: ['1-0', '2-0'], by: 'ops' }), DeadLetterStoreUnavailable);
    assert.deepEqual(store.calls, [`resolve ${A} 1-0`]);
  });
});

describe('PurgeDeadLetters', () => {
  it('purges each dead letter with its records; refuses what is not (or no longer) a dead letter; one that fails does not stop the others', async () => {
    const store = makeStore();
    await store.replay(A, '1-0');
    await store.resolve(A, '1-0', { by: 'ops' });
    store.failingWrites.add('2-0');
    const sut = new PurgeDeadLetters(store);
    const outcomes = await sut.execute({ location: A, messageIds: ['1-0', '2-0', '1-0', '9-0'] });
    assert.deepEqual(outcomes, [
      { location: A, messageId: '1-0', purged: { replayRecords: 1, resolution: true } },
      { location: A, messageId: '2-0', problem: 'write refused' },
      { location: A, messageId: '1-0', problem: `${A} 1-0 is not a dead letter` },
      { location: A, messageId: '9-0', problem: `${A} 9-0 is not a dead letter` },
    ]);
    assert.deepEqual((await new ListDeadLetters(store).execute()).map((d) => d.messageId), ['2-0', '1-0']);
    assert.deepEqual((await new ListDeadLetters(store).execute()).map((d) => d.location), [A, B]);
  });

  it('purges every match of a filter, at its own location, and named dead letters anywhere', async () => {
    const store = makeStore();
    const sut = new PurgeDeadLetters(store);
    const outcomes = await sut.execute({ matching: { olderThanMs: 2000 } });
    assert.deepEqual(outcomes.map((o) => [o.location, o.messageId, 'purged' in o]), [[A, '2-0', true], [B, '1-0', true]]);
    assert.deepEqual((await sut.execute({ items: [{ location: A, messageId: '1-0' }] })).map((o) => 'purged' in o), [true]);
    assert.deepEqual(await new ListDeadLetters(store).execute(), []);
  });

  it('stops at an unreachable store', async () => {
    const store = makeStore();
    store.unavailable = true;
    await assert.rejects(new PurgeDeadLetters(store).execute({ location: A, messageIds: ['1-0', '2-0'] }), DeadLetterStoreUnavailable);
    assert.deepEqual(store.calls, [`purge ${A} 1-0`]);
  });
});
