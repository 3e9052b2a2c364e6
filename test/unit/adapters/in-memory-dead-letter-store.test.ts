import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadLetterFields } from '../../../src/adapters/flunq-wire/stream-fields';
import { InMemoryStreamDeadLetterStore } from '../../../src/adapters/memory/in-memory-dead-letter-store';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { FakeClock } from '../../support/fake-clock';
import { requestFields, streamKey } from '../../support/flunq';

function makeSut() {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  const store = new InMemoryStreamDeadLetterStore(broker, clock);
  const stream = streamKey('acme', 'wf_a');
  const request = requestFields({ tenant: 'acme', workflow: 'wf_a', taskId: 'task-fetch-1', taskName: 'fetch', taskType: 'call' });
  const requestId = broker.append(stream, request);
  broker.append(stream, { ...request, type: 'io.flunq.task.completed' });
  return { clock, broker, store, stream, request, requestId };
}

describe('InMemoryStreamDeadLetterStore (embedded mode)', () => {
  it('lists the dead letters of every stream, oldest first, and shows one with its event', async () => {
    const { clock, broker, store, stream, request } = makeSut();
    const first = broker.append(stream, deadLetterFields(request, 'UNKNOWN_TASK_TYPE: x', 2));
    await clock.advance(1000);
    const other = streamKey('beta', 'wf_b');
    const second = broker.append(other, deadLetterFields({ ...request, workflowid: 'wf_b', tenantid: 'beta' }, 'OUTCOME_FAILED: y', 1));
    const listed = await store.list();
    assert.deepEqual(listed.map((l) => [l.location, l.messageId, l.taskId, l.taskType, l.attempts]), [
      [stream, first, 'task-fetch-1', 'call', 2],
      [other, second, 'task-fetch-1', 'call', 1],
    ]);
    assert.deepEqual((await store.list([other])).map((l) => l.messageId), [second]);
    const record = await store.get(stream, first);
    assert.equal(record?.event.type, 'io.flunq.task.dlq');
    assert.equal(record?.event.data, request['data']);
    assert.equal(await store.get(stream, 'no-such-id'), undefined);
  });

  it('replays a dead letter as a new request next to it, numbering the replays', async () => {
    const { broker, store, stream, request } = makeSut();
    const dead = broker.append(stream, deadLetterFields(request, 'PUBLICATION_FAILED: down', 3));
    const one = await store.replay(stream, dead);
    const two = await store.replay(stream, dead);
    assert.deepEqual([one.replay, two.replay], [1, 2]);
    assert.equal(one.eventId, 'task-requested-task-fetch-1-replay-1');
    const appended = broker.entry(stream, two.messageId)?.fields;
    assert.equal(appended?.['type'], 'io.flunq.task.requested');
    assert.equal(appended?.['replay_of'], `${stream}|${dead}`);
    assert.equal(appended?.['data'], request['data']);
    assert.equal(broker.entry(stream, dead)?.fields['type'], 'io.flunq.task.dlq', 'the dead letter stays');
    assert.deepEqual((await store.get(stream, dead))?.replays.map((r) => r.replay), [1, 2]);
  });

  it('takes the data of a dead letter that left it out from the request entry', async () => {
    const { broker, store, stream, request, requestId } = makeSut();
    const dead = broker.append(stream, deadLetterFields(request, 'ENTRY_TOO_LARGE: big', 1, { entryId: requestId }));
    assert.equal(broker.entry(stream, dead)?.fields['data'], undefined);
    const replay = await store.replay(stream, dead);
    assert.equal(broker.entry(stream, replay.messageId)?.fields['data'], request['data']);
  });

  it('refuses to replay what is not a dead letter', async () => {
    const { store, stream, requestId } = makeSut();
    await assert.rejects(store.replay(stream, requestId), /is not a dead letter/);
  });
});
