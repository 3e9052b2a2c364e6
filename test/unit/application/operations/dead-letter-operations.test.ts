import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListDeadLetters } from '../../../../src/application/operations/list-dead-letters.use-case';
import { ReplayDeadLetters } from '../../../../src/application/operations/replay-dead-letters.use-case';
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
