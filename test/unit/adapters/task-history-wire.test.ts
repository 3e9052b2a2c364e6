import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyEntryOf, ScanBudget } from '../../../src/adapters/flunq-wire/task-history';
import { FakeClock } from '../../support/fake-clock';
import { requestFields } from '../../support/flunq';

const request = requestFields({ tenant: 'acme', workflow: 'wf_1', taskId: 'task-1' });

describe('flunq-wire: a task history entry out of flat fields', () => {

  it('matches the task id exactly, in the taskid field or in data.task_id', () => {
    assert.equal(historyEntryOf('task-1', 's', '1-0', 1, request)?.kind, 'requested');
    assert.equal(historyEntryOf('task-', 's', '1-0', 1, request), undefined);
    assert.equal(historyEntryOf('task-10', 's', '1-0', 1, request), undefined);
    const { taskid: _taskid, ...withoutField } = request;
    assert.equal(historyEntryOf('task-1', 's', '1-0', 1, withoutField)?.taskId, 'task-1');
  });

  it('an outcome that names its task only in its event id (an older executor) is found; a request so named is not', () => {
    const old = { id: 'task-completed-task-1', type: 'io.flunq.task.completed', source: 'executor-service', data: '{"success":true}' };
    assert.deepEqual([historyEntryOf('task-1', 's', '2-0', 2, old)?.kind, historyEntryOf('task-1', 's', '2-0', 2, old)?.success], ['completed', true]);
    assert.equal(historyEntryOf('task-1', 's', '2-0', 2, { ...old, type: 'io.flunq.task.requested', id: 'task-requested-task-1' }), undefined);
  });

  it('ignores other event types and reads a malformed payload as empty', () => {
    assert.equal(historyEntryOf('task-1', 's', '1-0', 1, { ...request, type: 'io.flunq.timer.fired' }), undefined);
    const dlq = historyEntryOf('task-1', 's', '1-0', 1, { ...request, type: 'io.flunq.task.dlq', data: '{not json', reason: 'task_execution_failed:MALFORMED_EVENT: x' });
    assert.deepEqual([dlq?.kind, dlq?.reason, dlq?.attempt, dlq?.taskName], ['dead_lettered', 'task_execution_failed:MALFORMED_EVENT: x', 1, '']);
  });

  it('takes the trace id of a valid traceparent only', () => {
    assert.equal(historyEntryOf('task-1', 's', '1-0', 1, { ...request, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(historyEntryOf('task-1', 's', '1-0', 1, { ...request, traceparent: 'garbage' })?.traceId, undefined);
  });
});

describe('ScanBudget', () => {
  it('hands out at most the limit and says the search was cut short by it', () => {
    const budget = new ScanBudget(2500, 60_000, new FakeClock());
    assert.equal(budget.allowance(1000), 1000);
    budget.spend(1000);
    budget.spend(1000);
    assert.equal(budget.allowance(1000), 500);
    budget.spend(500);
    assert.equal(budget.allowance(1000), 0);
    assert.deepEqual(budget.result([]), { entries: [], examined: 2500, cutShort: 'limit' });
  });

  it('stops when its time is up (fake clock)', async () => {
    const clock = new FakeClock();
    const budget = new ScanBudget(1_000_000, 30_000, clock);
    assert.equal(budget.allowance(1000), 1000);
    budget.spend(1000);
    await clock.advance(30_000);
    assert.equal(budget.allowance(1000), 0);
    assert.deepEqual(budget.result([]), { entries: [], examined: 1000, cutShort: 'time' });
  });

  it('orders the result by stored time, keeping the order of equal times', () => {
    const budget = new ScanBudget(10, 1000, new FakeClock());
    const at = (recordedAtMs: number, messageId: string) => ({ ...historyEntryOf('task-1', 's', messageId, recordedAtMs, request)! });
    const sorted = budget.result([at(5, 'c'), at(1, 'a'), at(5, 'd'), at(1, 'b')]).entries.map((e) => e.messageId);
    assert.deepEqual(sorted, ['a', 'b', 'c', 'd']);
    assert.equal(budget.result([]).cutShort, undefined);
  });
});
