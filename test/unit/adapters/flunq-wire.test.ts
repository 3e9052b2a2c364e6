import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replayEntry, summarizeDeadLetter } from '../../../src/adapters/flunq-wire/dead-letters';
import { entrySize, eventFromFields, fieldsFromEvent } from '../../../src/adapters/flunq-wire/stream-fields';
import { workflowStream } from '../../../src/adapters/flunq-wire/stream-keys';
import { idempotencyKey } from '../../../src/domain/flunq-event';
import { localSubmission, submissionOfEvent } from '../../../src/domain/local-submission';
import { outcomeKind, submissionInput } from '../../../src/adapters/flunq-wire/hand-submitted';
import { deadLetterEntry } from '../../support/flunq';

const STREAM = 'tenant:acme:workflow:wf_1:events';
const REQUEST = {
  id: 'task-requested-task-fetch-1756150540123456789',
  source: 'worker-service',
  specversion: '1.0',
  type: 'io.flunq.task.requested',
  time: '2025-08-25T19:35:40Z',
  workflowid: 'wf_1',
  executionid: 'ex_1',
  taskid: 'task-fetch-1756150540123456789',
  tenantid: 'acme',
  data: '{"task_id":"task-fetch-1756150540123456789","task_name":"fetch","task_type":"call" , "input":{}}',
};

describe('dead-letter replay', () => {
  const dlq = deadLetterEntry(REQUEST, 'UNKNOWN_TASK_TYPE: nope', 3);

  it('summarizes a dead letter for the list', () => {
    const s = summarizeDeadLetter(STREAM, '1756150540000-0', dlq, 1756150540000 + 90_000);
    assert.equal(s.taskId, 'task-fetch-1756150540123456789');
    assert.equal(s.taskType, 'call');
    assert.equal(s.attempts, 3);
    assert.equal(s.ageMs, 90_000);
    assert.equal(s.reason, 'task_execution_failed:UNKNOWN_TASK_TYPE: nope');
  });

  it('builds a new task.requested entry with the original data verbatim and a new id', () => {
    const e = replayEntry(STREAM, '1756150540000-0', dlq, 2, Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(e['type'], 'io.flunq.task.requested');
    assert.equal(e['id'], 'task-requested-task-fetch-1756150540123456789-replay-2');
    assert.equal(e['data'], REQUEST.data);
    assert.equal(e['time'], '2026-01-02T03:04:05Z');
    assert.equal(e['replay_of'], `${STREAM}|1756150540000-0`);
    assert.equal(e['replay'], '2');
    assert.equal(e['reason'], undefined);
    assert.equal(e['attempt'], undefined);
    for (const k of ['source', 'workflowid', 'executionid', 'taskid', 'tenantid', 'specversion']) assert.equal(e[k], REQUEST[k as keyof typeof REQUEST]);
  });

  it('gives a replay its own idempotency key', () => {
    assert.equal(idempotencyKey('t1', eventFromFields(REQUEST)), 't1');
    assert.equal(idempotencyKey('t1', eventFromFields(replayEntry(STREAM, '1-0', dlq, 1, 0))), 't1#replay-1');
  });

  it('keeps a malformed payload verbatim when replaying', () => {
    const broken = deadLetterEntry({ ...REQUEST, data: '{not json' }, 'MALFORMED_EVENT', 1);
    const e = replayEntry(STREAM, '5-0', broken, 1, 0);
    assert.equal(e['data'], '{not json');
    assert.equal(e['id'], 'task-requested-task-fetch-1756150540123456789-replay-1');
  });
});

describe('stream fields', () => {
  it('decode to an event and encode back to the same fields, in the same order', () => {
    const event = eventFromFields({ ...REQUEST, traceparent: '00-abc-def-01' });
    assert.equal(event.taskId, REQUEST.taskid);
    assert.equal(event.data, REQUEST.data);
    assert.deepEqual(event.extensions, { traceparent: '00-abc-def-01' });
    assert.deepEqual(Object.entries(fieldsFromEvent(eventFromFields(REQUEST))), Object.entries(REQUEST));
  });
  it('omit empty flunq ids and absent data', () => {
    const fields = fieldsFromEvent({ ...eventFromFields(REQUEST), workflowId: '', data: undefined });
    assert.equal('workflowid' in fields, false);
    assert.equal('data' in fields, false);
  });
  it('measure an entry in UTF-8 bytes', () => {
    assert.equal(entrySize({ ab: 'cd' }), 4);
    assert.equal(entrySize({ k: 'é' }), 3);
  });
});

describe('local submission', () => {
  const TYPES = ['call', 'set', 'wait'];
  it('completes a data object with local ids', () => {
    const r = localSubmission({ task_type: 'set', input: { set_data: { a: 1 } } }, Date.UTC(2026, 0, 1), 7, TYPES);
    assert.ok(r.ok);
    const { taskId, request } = r.submission;
    assert.equal(workflowStream(request.tenantId, request.workflowId), workflowStream('local', 'wf_local'));
    assert.match(taskId, /^task-set-\d+$/);
    assert.equal(request.type, 'io.flunq.task.requested');
    assert.equal(request.id, `task-requested-${taskId}`);
    assert.equal(request.executionId, 'ex_local');
    const data = JSON.parse(request.data ?? '') as Record<string, unknown>;
    assert.equal(data['task_id'], taskId);
    assert.deepEqual(data['input'], { set_data: { a: 1 } });
  });
  it('accepts a whole event with flat attributes as is', () => {
    const input = submissionInput(REQUEST);
    assert.ok('event' in input);
    const r = submissionOfEvent(input.event);
    assert.ok(r.ok);
    assert.deepEqual(fieldsFromEvent(r.submission.request), REQUEST);
    assert.equal(workflowStream(r.submission.request.tenantId, r.submission.request.workflowId), STREAM);
  });
  it('rejects what is not a task request', () => {
    assert.equal(localSubmission([], 0, 0, TYPES).ok, false);
    assert.deepEqual(localSubmission({ input: {} }, 0, 0, TYPES), { ok: false, problem: 'task_type is required (call, set, wait)' });
    const completed = submissionInput({ ...REQUEST, type: 'io.flunq.task.completed' });
    assert.ok('event' in completed);
    assert.deepEqual(submissionOfEvent(completed.event), { ok: false, problem: 'type must be io.flunq.task.requested' });
    assert.deepEqual(submissionInput({ ...REQUEST, attempt: 2 }), { problem: 'event attribute attempt must be a string' });
    assert.deepEqual(submissionInput({ task_type: 'set' }), { request: { task_type: 'set' } });
  });
  it('recognises the outcome entries of a task', () => {
    assert.equal(outcomeKind(eventFromFields({ id: 'task-completed-t1', type: 'io.flunq.task.completed' }), 't1'), 'completed');
    assert.equal(outcomeKind(eventFromFields({ id: 'task-completed-t2', type: 'io.flunq.task.completed' }), 't1'), undefined);
    assert.equal(outcomeKind(eventFromFields({ type: 'io.flunq.task.dlq', taskid: 't1' }), 't1'), 'dead_lettered');
  });
});
