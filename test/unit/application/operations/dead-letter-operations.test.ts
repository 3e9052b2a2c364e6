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
      { messageId: '1-0', replayed: store.replays[0] },
      { messageId: '2-0', problem: 'write refused' },
      { messageId: '9-0', problem: `${A} 9-0 is not a dead letter` },
      { messageId: '1-0', replayed: store.replays[1] },
    ]);
    assert.deepEqual(store.replays.map((r) => [r.deadLetterId, r.replay]), [['1-0', 1], ['1-0', 2]], 'every call is a new replay');
  });

  it('stops at an unreachable store instead of reporting every dead letter as failed', async () => {
    const store = makeStore();
    store.unavailable = true;
    const sut = new ReplayDeadLetters(store);
    await assert.rejects(sut.execute({ location: A, messageIds: ['1-0', '2-0'] }), DeadLetterStoreUnavailable);
    assert.deepEqual(store.calls, [`replay ${A} 1-0`]);
  });
});
