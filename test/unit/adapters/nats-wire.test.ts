import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFromMessage, messageFromEvent, messageFromFields } from '../../../src/adapters/nats/cloudevent-headers';
import { connectionOptions } from '../../../src/adapters/nats/connection';
import { bucketKey } from '../../../src/adapters/nats/task-claims';
import { decodeToken, encodeToken, parseWorkflowSubject, subjectCovers, workflowSubject, workflowSubjects } from '../../../src/adapters/nats/subjects';
import { FlunqEvent } from '../../../src/domain/flunq-event';

const event: FlunqEvent = {
  id: 'task-requested-task-a-1',
  source: 'worker-service',
  specversion: '1.0',
  type: 'io.flunq.task.requested',
  time: '2025-08-25T19:35:40Z',
  workflowId: 'wf_1',
  executionId: 'ex_1',
  taskId: 'task-a-1',
  tenantId: 'acme',
  data: '{"task_id":"task-a-1", "x": "é"}',
  extensions: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

describe('NATS subjects of flunq workflows', () => {
  it('maps a workflow to {prefix}.tenant.{tenant}.workflow.{workflow}.events', () => {
    assert.equal(workflowSubject('flunq', 'acme', 'wf_3f1c2a9b-8d7e-4c'), 'flunq.tenant.acme.workflow.wf_3f1c2a9b-8d7e-4c.events');
    assert.equal(workflowSubject('flunq', '', ''), 'flunq.tenant.default.workflow.default.events');
    assert.equal(workflowSubjects('flunq'), 'flunq.tenant.*.workflow.*.events');
  });

  it('percent-encodes every character that could change the subject shape, and decodes it back', () => {
    const ids = ['a.b', 'a*b', 'a>b', 'a b', '100%', 'é', 'x\r\ny', '.', '>', '*'];
    for (const id of ids) {
      const token = encodeToken(id);
      assert.match(token, /^[A-Za-z0-9_%-]+$/, id);
      assert.equal(decodeToken(token), id);
      const subject = workflowSubject('flunq', id, id);
      assert.equal(subject.split('.').length, 6, `${JSON.stringify(id)} keeps the subject at six tokens`);
      assert.deepEqual(parseWorkflowSubject('flunq', subject), { tenantId: id, workflowId: id });
    }
    assert.equal(encodeToken('acme.eu'), 'acme%2Eeu');
    assert.equal(encodeToken('50%'), '50%25');
    assert.throws(() => decodeToken('a.b'));
  });

  it('tells which stream subjects cover the workflow subjects', () => {
    const wanted = workflowSubjects('flunq');
    assert.ok(subjectCovers('flunq.>', wanted));
    assert.ok(subjectCovers('flunq.tenant.*.workflow.*.events', wanted));
    assert.ok(subjectCovers('>', wanted));
    assert.ok(!subjectCovers('flunq.tenant.acme.workflow.*.events', wanted));
    assert.ok(!subjectCovers('other.>', wanted));
    assert.ok(!subjectCovers('flunq.*', wanted));
  });
});

describe('CloudEvents binary binding on NATS headers', () => {
  it('writes ce- headers, content-type and the data as the body, and reads them back', () => {
    const message = messageFromEvent(event);
    assert.deepEqual(message.headers, [
      ['ce-id', event.id],
      ['ce-source', 'worker-service'],
      ['ce-specversion', '1.0'],
      ['ce-type', 'io.flunq.task.requested'],
      ['ce-time', '2025-08-25T19:35:40Z'],
      ['ce-workflowid', 'wf_1'],
      ['ce-executionid', 'ex_1'],
      ['ce-taskid', 'task-a-1'],
      ['ce-tenantid', 'acme'],
      ['ce-traceparent', event.extensions['traceparent']],
      ['content-type', 'application/json'],
    ]);
    assert.equal(message.body, event.data);
    assert.deepEqual(eventFromMessage(message.headers, message.body ?? ''), event);
  });

  it('reads header names case-insensitively and ignores headers that are not attributes', () => {
    const read = eventFromMessage([['CE-ID', 'x'], ['Ce-Type', 't'], ['Nats-Msg-Id', 'x'], ['content-type', 'application/json']], '{}');
    assert.equal(read.id, 'x');
    assert.equal(read.type, 't');
    assert.deepEqual(read.extensions, {});
    assert.equal(read.data, '{}');
  });

  it('an event without data has no body and no content type', () => {
    const message = messageFromEvent({ ...event, data: undefined });
    assert.equal(message.body, undefined);
    assert.ok(!message.headers.some(([name]) => name === 'content-type'));
    assert.equal(eventFromMessage(message.headers, '').data, undefined);
  });

  it('keeps line breaks out of header values and leaves out names a header cannot carry', () => {
    const message = messageFromFields({ id: 'a', reason: 'line one\nline two', 'bad name': 'x' });
    assert.deepEqual(message.headers, [
      ['ce-id', 'a'],
      ['ce-reason', 'line one line two'],
    ]);
  });
});

describe('NATS connection settings and bucket keys', () => {
  it('takes user and password, or a token, out of the URL', () => {
    const withUser = connectionOptions({ url: 'nats://alice:s%40cret@host-a:4223', credsFile: undefined }, 'n');
    assert.deepEqual([withUser.servers, withUser.user, withUser.pass, withUser.token], [['host-a:4223'], 'alice', 's@cret', undefined]);
    const withToken = connectionOptions({ url: 'nats://t0ken@host-b', credsFile: undefined }, 'n');
    assert.deepEqual([withToken.servers, withToken.token, withToken.user], [['host-b:4222'], 't0ken', undefined]);
    assert.deepEqual(connectionOptions({ url: 'nats://a:1,nats://b:2', credsFile: undefined }, 'n').servers, ['a:1', 'b:2']);
    assert.equal(connectionOptions({ url: 'nats://a:1', credsFile: undefined }, 'n').tls, undefined);
    assert.deepEqual(connectionOptions({ url: 'tls://a:1', credsFile: undefined }, 'n').tls, {});
  });

  it('encodes idempotency keys into key-value keys without ambiguity', () => {
    assert.equal(bucketKey('task-a-1'), 'task-a-1');
    assert.equal(bucketKey('task-a-1#replay-2'), 'task-a-1=23replay-2');
    assert.notEqual(bucketKey('a.b'), bucketKey('a=2Eb'));
  });
});
