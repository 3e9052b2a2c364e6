import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCompletedPayload, completedEvent, deadLetterReason } from '../../../src/domain/flunq-events';
import { redactDeep } from '../../../src/domain/redaction';
import { failed, succeeded } from '../../../src/domain/task-result';
import { httpStatusError } from '../../../src/domain/workflow-error';

const identity = { taskId: 'task-a-1', taskName: 'a', tenantId: 'acme', workflowId: 'wf_1', executionId: 'ex_1' };
const t0 = Date.UTC(2025, 7, 25, 19, 35, 40, 250);

describe('task.completed', () => {
  it('has the flunq payload shape on success', () => {
    const p = buildCompletedPayload(identity, { outcome: succeeded({ x: 1 }), taskType: 'set', startedAtMs: t0, completedAtMs: t0 + 37, attempt: 1 }, { in: 1 });
    assert.equal(p.success, true);
    assert.equal(p.error, '');
    assert.equal(p.duration_ms, 37);
    assert.equal(p.executed_at, '2025-08-25T19:35:40Z');
    assert.deepEqual(p.data.input, { in: 1 });
    assert.deepEqual(p.data.output, { x: 1 });
    assert.deepEqual(p.data.metadata, { started_at: '2025-08-25T19:35:40Z', completed_at: '2025-08-25T19:35:40Z', duration_ms: 37, task_type: 'set', activity_name: 'executor_activity' });
    assert.equal(p.error_details, undefined);
  });
  it('carries the error string and the structured error on failure', () => {
    const p = buildCompletedPayload(identity, { outcome: failed(httpStatusError(404)), taskType: 'call', startedAtMs: t0, completedAtMs: t0, attempt: 1 }, {});
    assert.equal(p.success, false);
    assert.equal(p.error, 'HTTP request failed with status 404');
    assert.deepEqual(p.error_details, {
      type: 'https://serverlessworkflow.io/spec/1.0.0/errors/communication',
      status: 404,
      title: 'HTTP Request Failed',
      detail: 'HTTP request failed with status 404',
      data: { code: 'HTTP_4XX' },
    });
  });
  it('is an event named after the task, from the executor, with the payload as JSON data', () => {
    const p = buildCompletedPayload({ ...identity, tenantId: '' }, { outcome: succeeded({}), taskType: 'set', startedAtMs: t0, completedAtMs: t0, attempt: 1 }, {});
    const e = completedEvent({ ...identity, tenantId: '' }, p, t0);
    assert.equal(e.id, 'task-completed-task-a-1');
    assert.equal(e.source, 'executor-service');
    assert.equal(e.type, 'io.flunq.task.completed');
    assert.equal(e.time, '2025-08-25T19:35:40Z');
    assert.equal(e.tenantId, '');
    assert.deepEqual(JSON.parse(e.data ?? ''), p);
  });
  it('redacts secrets in output and resolved input', () => {
    const output = { request: { headers: { Authorization: 'Bearer abc.def', 'X-Api-Key': 'k-123', Accept: 'json' } } };
    const p = buildCompletedPayload(identity, { outcome: succeeded(output, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), taskType: 'call', startedAtMs: t0, completedAtMs: t0, attempt: 1 }, {});
    assert.deepEqual(p.output, { request: { headers: { Authorization: 'Bearer ***', 'X-Api-Key': '***', Accept: 'json' } } });
    assert.deepEqual(p.data.input, { headers: { Authorization: 'Basic ***' } });
  });
});

describe('dead letter', () => {
  it('gives its reason the Go executor\'s prefix, with known secrets blanked', () => {
    assert.equal(deadLetterReason('MALFORMED_EVENT: bad'), 'task_execution_failed:MALFORMED_EVENT: bad');
    assert.equal(deadLetterReason('AUTH: token s3cr3t-value refused', ['s3cr3t-value']), 'task_execution_failed:AUTH: token *** refused');
  });
});

describe('redactDeep', () => {
  it('hides sensitive names, keeps scheme words, and blanks known secret values in text', () => {
    const out = redactDeep({ password: 'p', nested: { client_secret: 's', cookie: ['a=b'] }, note: 'token is sk-12345' }, [], ['sk-12345']);
    assert.deepEqual(out, { password: '***', nested: { client_secret: '***', cookie: ['***'] }, note: 'token is ***' });
  });
  it('hides a configured API-key name', () => {
    assert.deepEqual(redactDeep({ 'X-Custom': 'v' }, ['x-custom']), { 'X-Custom': '***' });
  });
});
