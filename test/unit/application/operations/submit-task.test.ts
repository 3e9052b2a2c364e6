import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubmitTask, SubmitTaskSettings } from '../../../../src/application/operations/submit-task.use-case';
import { SubmissionResult } from '../../../../src/application/ports/task-submission.port';
import { FakeClock } from '../../../support/fake-clock';
import { completedWith, RecordingTaskSubmission, Submitted } from '../../../support/recording-task-submission';

function makeSut(answer?: (submitted: Submitted) => SubmissionResult, settings: Partial<SubmitTaskSettings> = {}): { sut: SubmitTask; submission: RecordingTaskSubmission; clock: FakeClock } {
  const clock = new FakeClock(Date.UTC(2025, 7, 25, 19, 35, 40, 123));
  const submission = new RecordingTaskSubmission(answer);
  const sut = new SubmitTask(submission, clock, { timeoutMs: 305_000, firstSequence: 0, taskTypes: ['call', 'set'], ...settings });
  return { sut, submission, clock };
}

describe('SubmitTask', () => {
  it('completes a task data object with local ids, publishes it with the configured wait and returns its outcome', async () => {
    const { sut, submission } = makeSut(completedWith({ success: true, output: { a: 1 } }));
    const result = await sut.execute({ request: { task_type: 'set', task_name: 'prepare', input: { set_data: { a: 1 } } } });
    assert.equal(submission.submitted.length, 1);
    const { request, taskId, timeoutMs } = submission.submitted[0]!;
    assert.equal(timeoutMs, 305_000);
    assert.match(taskId, /^task-prepare-\d+$/);
    assert.equal(request.type, 'io.flunq.task.requested');
    assert.equal(request.id, `task-requested-${taskId}`);
    assert.deepEqual([request.tenantId, request.workflowId, request.executionId], ['local', 'wf_local', 'ex_local']);
    assert.equal(result.status, 'completed');
    assert.ok(result.status === 'completed');
    assert.equal(result.taskId, taskId);
    assert.equal(result.location, 'tenant:local:workflow:wf_local:events');
    assert.deepEqual(JSON.parse(result.outcome.data ?? ''), { success: true, output: { a: 1 } });
  });

  it('refuses a request it cannot complete, and publishes nothing', async () => {
    const { sut, submission } = makeSut();
    assert.deepEqual(await sut.execute({ request: [1, 2] }), { status: 'invalid', problem: 'the task request must be a JSON object' });
    assert.deepEqual(await sut.execute({ request: { input: {} } }), { status: 'invalid', problem: 'task_type is required (call, set)' });
    assert.equal(submission.submitted.length, 0);
  });

  it('gives two requests submitted in the same millisecond distinct task ids, counting from the first sequence number', async () => {
    const { sut, submission } = makeSut(undefined, { firstSequence: 41 });
    await sut.execute({ request: { task_type: 'set' } });
    await sut.execute({ request: { task_type: 'set' } });
    const [first, second] = submission.submitted.map((s) => s.taskId);
    assert.notEqual(first, second);
    assert.equal(first, `task-set-${BigInt(Date.UTC(2025, 7, 25, 19, 35, 40, 123)) * 1_000_000n + 41n}`);
  });

  it('keeps a task id given in the request, and passes a duplicate on with the earlier outcome', async () => {
    const { sut } = makeSut(completedWith({ success: true }, 'duplicate'));
    const result = await sut.execute({ request: { task_type: 'set', task_id: 'task-set-7' } });
    assert.equal(result.status, 'duplicate');
    assert.ok(result.status === 'duplicate');
    assert.equal(result.taskId, 'task-set-7');
  });

  it('reports a task without an outcome in time as a timeout, saying how long it waited', async () => {
    const { sut } = makeSut(({ taskId }) => ({ status: 'timeout', location: 'tenant:local:workflow:wf_local:events', taskId }), { timeoutMs: 50 });
    const result = await sut.execute({ request: { task_type: 'wait', task_id: 'task-wait-1' } });
    assert.deepEqual(result, { status: 'timeout', taskId: 'task-wait-1', location: 'tenant:local:workflow:wf_local:events', waitedMs: 50 });
  });
});
