import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flushAsyncWork, FakeClock } from '../../support/fake-clock';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { loadConfig } from '../../../src/config/env';
import { replayEntry } from '../../../src/adapters/flunq-wire/dead-letters';
import { deadLetterEntry } from '../../support/flunq';
import { testExecutor } from '../../support/test-profile';

const STREAM = 'tenant:acme:workflow:wf_1:events';
const TASK = 'task-remember-1756150540123456789';
const REQUEST = {
  id: `task-requested-${TASK}`,
  source: 'worker-service',
  specversion: '1.0',
  type: 'io.flunq.task.requested',
  time: '2025-08-25T19:35:40Z',
  workflowid: 'wf_1',
  executionid: 'ex_1',
  taskid: TASK,
  tenantid: 'acme',
  data: JSON.stringify({ task_id: TASK, task_name: 'remember', task_type: 'set', input: { set_data: { ok: true } } }),
};

describe('a replayed dead letter', () => {
  it('runs again although the task already has an outcome, and only once', async () => {
    const clock = new FakeClock();
    const broker = new InMemoryStreamBroker(clock);
    const { loop } = await testExecutor(loadConfig({ EVENT_STREAM_TYPE: 'memory', HOSTNAME: 't' }), { clock, broker });
    // The dead-lettered run recorded a (failed) outcome for the task id.
    broker.markSettled(TASK);
    const dlqId = broker.append(STREAM, deadLetterEntry(REQUEST, 'PUBLICATION_FAILED: redis down', 3));
    broker.append(STREAM, REQUEST);
    const replay = replayEntry(STREAM, dlqId, deadLetterEntry(REQUEST, 'x', 3), 1, clock.now());
    broker.append(STREAM, replay);
    loop.start();
    await flushAsyncWork(20);
    broker.append(STREAM, replay); // the same replay delivered again (e.g. reclaimed after a crash): one outcome only
    await flushAsyncWork(20);
    await loop.stop(1000);
    const completions = broker.entries(STREAM).filter((e) => e.fields['type'] === 'io.flunq.task.completed');
    assert.equal(completions.length, 1, 'the plain redelivery is a duplicate; the replay runs once');
    const payload = JSON.parse(completions[0]?.fields['data'] ?? '') as { success: boolean; task_id: string };
    assert.equal(payload.success, true);
    assert.equal(payload.task_id, TASK);
    assert.ok(broker.entries(STREAM).some((e) => e.id === dlqId && e.fields['type'] === 'io.flunq.task.dlq'), 'the dead letter stays');
  });
});
