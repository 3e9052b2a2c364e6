import { eventFromFields as fromFields } from '../../../src/adapters/flunq-wire/stream-fields';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskRequest, taskNameFromId } from '../../../src/domain/task-request';

const fields = {
  id: 'task-requested-task-fetch-1',
  source: 'worker-service',
  type: 'io.flunq.task.requested',
  workflowid: 'wf_1',
  executionid: 'ex_1',
  taskid: 'task-fetch-1756150540123456789',
  tenantid: 'acme',
};

describe('parseTaskRequest', () => {
  it('reads a worker request', () => {
    const data = { task_id: 'task-fetch-1', task_name: 'fetch', task_type: 'call', input: { a: 1 }, context: { workflow_input: { p: 1 }, variables: { v: 2 } }, config: { timeout: 300, parameters: { url: 'http://x' } } };
    const r = parseTaskRequest(fromFields({ ...fields, data: JSON.stringify(data) }));
    assert.ok(r.ok);
    assert.equal(r.request.taskId, 'task-fetch-1');
    assert.equal(r.request.taskType, 'call');
    assert.equal(r.request.config.timeoutMs, 300_000);
    assert.deepEqual(r.request.context.workflowInput, { p: 1 });
    assert.deepEqual(r.request.context.taskOutputs, {});
    assert.equal(r.request.tenantId, 'acme');
  });
  it('falls back to data ids when the stream fields are missing, and to data.tenant_id', () => {
    const r = parseTaskRequest(fromFields({ type: 'io.flunq.task.requested', data: JSON.stringify({ task_id: 't', task_type: 'set', workflow_id: 'wf_d', execution_id: 'ex_d', tenant_id: 'ten' }) }));
    assert.ok(r.ok);
    assert.equal(r.request.workflowId, 'wf_d');
    assert.equal(r.request.executionId, 'ex_d');
    assert.equal(r.request.tenantId, 'ten');
  });
  it('prefers the stream fields over data ids', () => {
    const r = parseTaskRequest(fromFields({ ...fields, data: JSON.stringify({ task_id: 't', workflow_id: 'other', execution_id: 'other' }) }));
    assert.ok(r.ok);
    assert.equal(r.request.workflowId, 'wf_1');
    assert.equal(r.request.executionId, 'ex_1');
  });
  it('uses the taskid field when data has no task_id', () => {
    const r = parseTaskRequest(fromFields({ ...fields, data: JSON.stringify({ task_type: 'set' }) }));
    assert.ok(r.ok);
    assert.equal(r.request.taskId, fields.taskid);
    assert.equal(r.request.taskName, 'fetch');
  });
  it('treats non-object input and context as empty', () => {
    const r = parseTaskRequest(fromFields({ ...fields, data: JSON.stringify({ task_id: 't', input: 'x', context: [1] }) }));
    assert.ok(r.ok);
    assert.deepEqual(r.request.input, {});
    assert.deepEqual(r.request.context.variables, {});
  });
  for (const [what, data] of [
    ['missing data', undefined],
    ['invalid JSON', '{'],
    ['a JSON array', '[]'],
    ['a JSON string', '"x"'],
    ['null', 'null'],
  ] as const) {
    it(`returns a MALFORMED_EVENT error for ${what}, keeping the identity`, () => {
      const r = parseTaskRequest(fromFields(data === undefined ? fields : { ...fields, data }));
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.code, 'MALFORMED_EVENT');
      assert.equal(r.error.kind, 'validation');
      assert.equal(r.identity.taskId, fields.taskid);
      assert.equal(r.identity.taskName, 'fetch');
      assert.equal(r.identity.executionId, 'ex_1');
    });
  }
  it('rejects an event with no task id at all', () => {
    const r = parseTaskRequest(fromFields({ type: 'io.flunq.task.requested', data: '{}' }));
    assert.equal(r.ok, false);
  });
  it('refuses data nested deeper than the default limit (256) before parsing it, naming the limit', () => {
    const deep = `{"task_id": "t", "task_type": "set", "input": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = parseTaskRequest(fromFields({ ...fields, data: deep }));
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'MALFORMED_EVENT');
    assert.equal(r.error.detail, 'event data nests deeper than the nesting-depth limit of 256 levels of arrays and objects');
    assert.equal(r.identity.taskId, fields.taskid, 'identity from the stream fields');
    assert.equal(r.identity.executionId, 'ex_1');
  });
  it('takes the nesting-depth limit as a parameter: data at the limit parses, one level more does not', () => {
    const nested = (levels: number): string => `{"task_id": "t", "input": ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    assert.equal(parseTaskRequest(fromFields({ ...fields, data: nested(20) }), 20).ok, true);
    const r = parseTaskRequest(fromFields({ ...fields, data: nested(21) }), 20);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.detail, /limit of 20 levels/);
    assert.equal(parseTaskRequest(fromFields({ ...fields, data: nested(21) })).ok, true, 'the default limit is 256');
  });
  it('rejects a non-string task_type', () => {
    const r = parseTaskRequest(fromFields({ ...fields, data: JSON.stringify({ task_id: 't', task_type: 5 }) }));
    assert.equal(r.ok, false);
  });
});

describe('taskNameFromId', () => {
  it('reads the worker id pattern', () => {
    assert.equal(taskNameFromId('task-fetch-pet-1756150540123456789'), 'fetch-pet');
    assert.equal(taskNameFromId('custom'), '');
  });
});
