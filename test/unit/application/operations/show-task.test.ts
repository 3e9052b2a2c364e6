import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShowTask, statusOf } from '../../../../src/application/operations/show-task.use-case';
import { TaskHistory, TaskHistoryEntry, TaskHistoryQuery } from '../../../../src/application/ports/task-history.port';

function entry(kind: TaskHistoryEntry['kind'], extra: Partial<TaskHistoryEntry> = {}): TaskHistoryEntry {
  return { kind, location: 'wf', messageId: '1', recordedAtMs: 1, time: '', eventId: '', source: '', taskId: 'task-1', taskName: '', taskType: '', workflowId: '', executionId: '', tenantId: '', ...extra };
}

describe('ShowTask', () => {
  it('passes the query to the history and says where the task stands', async () => {
    const asked: [string, TaskHistoryQuery | undefined][] = [];
    const history: TaskHistory = {
      find: (taskId, query) => {
        asked.push([taskId, query]);
        return Promise.resolve({ entries: [entry('requested'), entry('completed', { success: true })], examined: 7 });
      },
      close: () => Promise.resolve(),
    };
    const shown = await new ShowTask(history).execute({ taskId: 'task-1', workflowId: 'wf_1', limit: 10 });
    assert.deepEqual(asked, [['task-1', { workflowId: 'wf_1', limit: 10 }]]);
    assert.deepEqual([shown.taskId, shown.status, shown.examined, shown.entries.length, shown.cutShort], ['task-1', 'succeeded', 7, 2, undefined]);
  });

  it('refuses an empty task id', async () => {
    const history: TaskHistory = { find: () => assert.fail('not asked'), close: () => Promise.resolve() };
    await assert.rejects(new ShowTask(history).execute({ taskId: '' }), /a task id is needed/);
  });

  it('status: the last thing that happened; a dead letter outranks its failed completion', () => {
    assert.equal(statusOf([]), 'not_found');
    assert.equal(statusOf([entry('requested')]), 'waiting');
    assert.equal(statusOf([entry('requested'), entry('completed', { success: false })]), 'failed');
    assert.equal(statusOf([entry('requested'), entry('dead_lettered')]), 'dead_lettered');
    assert.equal(statusOf([entry('requested'), entry('dead_lettered'), entry('completed', { success: false })]), 'dead_lettered');
    assert.equal(statusOf([entry('requested'), entry('dead_lettered'), entry('completed', { success: false }), entry('requested', { replay: 1 })]), 'waiting');
    assert.equal(statusOf([entry('requested'), entry('dead_lettered'), entry('completed', { success: false }), entry('requested', { replay: 1 }), entry('completed', { success: true })]), 'succeeded');
  });
});
