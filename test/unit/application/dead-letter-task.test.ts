import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadLetterTask } from '../../../src/application/use-cases/dead-letter-task.use-case';
import { FakeClock } from '../../support/fake-clock';
import { CompletedPayload } from '../../../src/domain/flunq-events';
import { WorkflowError } from '../../../src/domain/workflow-error';

const identity = { taskId: 'task-x-1', taskName: 'x', tenantId: 'acme', workflowId: 'wf_1', executionId: 'ex_1' };

describe('DeadLetterTask', () => {
  it('still reports the failure when the error carries data that cannot be serialised', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    const error = new WorkflowError({ kind: 'runtime', code: 'INTERNAL', detail: 'boom', data: { count: 10n, cycle } });
    const { note, completion } = new DeadLetterTask(new FakeClock()).execute({ error, identity, attempt: 2, taskType: 'set' });
    assert.deepEqual(note, { reason: 'task_execution_failed:INTERNAL: boom', attempt: 2 });
    const payload = JSON.parse(completion?.data ?? '') as CompletedPayload;
    assert.equal(payload.success, false);
    assert.equal(payload.error, 'boom');
    assert.equal(payload.attempt, 2);
    assert.deepEqual(payload.error_details, { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/runtime', status: 500, detail: 'boom', data: { code: 'INTERNAL' } });
  });
});
