import assert from 'node:assert/strict';
import { Then } from '@cucumber/cucumber';
import { ExecutorWorld, STREAM } from '../support/world';

/** True when every key of `expected` is in `actual` with a matching value (recursively). */
function containsSubset(actual: unknown, expected: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => containsSubset((actual as Record<string, unknown>)[k], v));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function parse(json: string): unknown {
  return JSON.parse(json);
}

Then('the task should succeed', function (this: ExecutorWorld) {
  const c = this.completionOf();
  assert.equal(c.success, true, `expected success, got error: ${c.error}`);
  assert.equal(c.error, '');
  assert.equal(c.error_details, undefined);
});

Then('the task should fail with error {string}', function (this: ExecutorWorld, error: string) {
  const c = this.completionOf();
  assert.equal(c.success, false);
  assert.equal(c.error, error);
});

Then('the task should fail with an error containing {string}', function (this: ExecutorWorld, fragment: string) {
  const c = this.completionOf();
  assert.equal(c.success, false);
  assert.ok(c.error.includes(fragment), `error ${JSON.stringify(c.error)} should contain ${JSON.stringify(fragment)}`);
});

Then('the error should be of type {string} with status {int}', function (this: ExecutorWorld, kind: string, status: number) {
  const details = this.completionOf().error_details;
  assert.ok(details, 'error_details should be present');
  assert.equal(details['type'], `https://serverlessworkflow.io/spec/1.0.0/errors/${kind}`);
  assert.equal(details['status'], status);
});

Then('the error code should be {string}', function (this: ExecutorWorld, code: string) {
  const details = this.completionOf().error_details as { data?: { code?: string } } | undefined;
  assert.equal(details?.data?.code, code);
});

Then('the output should equal:', function (this: ExecutorWorld, json: string) {
  const c = this.completionOf();
  assert.deepEqual(c.output, parse(json));
  assert.deepEqual(c.data.output, c.output, 'data.output should repeat the output');
});

Then('the output should contain:', function (this: ExecutorWorld, json: string) {
  const c = this.completionOf();
  assert.ok(containsSubset(c.output, parse(json)), `output ${JSON.stringify(c.output)} should contain ${json}`);
});

Then('the error details should include:', function (this: ExecutorWorld, json: string) {
  const details = this.completionOf().error_details;
  assert.ok(containsSubset(details, parse(json)), `error_details ${JSON.stringify(details)} should include ${json}`);
});

Then('the output should not have the key {string}', function (this: ExecutorWorld, key: string) {
  const output = this.completionOf().output as Record<string, unknown>;
  assert.ok(!(key in output), `output should not have ${key}: ${JSON.stringify(output)}`);
});

Then('the completion metadata should report task type {string}', function (this: ExecutorWorld, taskType: string) {
  assert.equal(this.completionOf().data.metadata.task_type, taskType);
});

Then('the completion should report a duration of {int} ms', function (this: ExecutorWorld, ms: number) {
  const c = this.completionOf();
  assert.equal(c.duration_ms, ms);
  assert.equal(c.data.metadata.duration_ms, ms);
});

Then('no completion should have been published yet', function (this: ExecutorWorld) {
  assert.equal(this.completions().length, 0, 'no task.completed expected yet');
});

Then('{int} completion(s) should have been published', function (this: ExecutorWorld, n: number) {
  assert.equal(this.completions().length, n);
});

Then('exactly one completion should exist for the task', function (this: ExecutorWorld) {
  this.completionOf();
});

Then('the completion entry should carry the flunq stream fields', function (this: ExecutorWorld) {
  const entry = this.completions().find((e) => e.fields['taskid'] === this.lastTaskId);
  assert.ok(entry, 'completion entry');
  const f = entry.fields;
  assert.equal(f['id'], `task-completed-${this.lastTaskId}`);
  assert.equal(f['source'], 'executor-service');
  assert.equal(f['specversion'], '1.0');
  assert.equal(f['type'], 'io.flunq.task.completed');
  assert.match(f['time'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(f['workflowid'], 'wf_3f1c2a9b-8d7e-4c');
  assert.equal(f['executionid'], 'ex_9a2e51c0-77b1-40');
  assert.equal(f['tenantid'], 'acme');
  const data = JSON.parse(f['data'] ?? '{}') as Record<string, unknown>;
  for (const key of ['task_id', 'task_name', 'tenant_id', 'success', 'output', 'error', 'duration_ms', 'executed_at', 'data']) {
    assert.ok(key in data, `payload should have ${key}`);
  }
  const nested = data['data'] as Record<string, unknown>;
  const metadata = nested['metadata'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(metadata).sort(), ['activity_name', 'completed_at', 'duration_ms', 'started_at', 'task_type']);
  assert.equal(metadata['activity_name'], 'executor_activity');
  assert.match(String(data['executed_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

Then('the request should be acknowledged', function (this: ExecutorWorld) {
  assert.equal(this.pendingCount(), 0, `nothing should stay pending: ${JSON.stringify([...this.broker.pending(STREAM, this.config.stream.group)].map(([id, p]) => [id, this.broker.entry(STREAM, id)?.fields['type'], p]))}`);
});

Then('{int} request(s) should still be pending', function (this: ExecutorWorld, n: number) {
  assert.equal(this.pendingCount(), n);
});

Then('the completion should record attempt {int}', function (this: ExecutorWorld, attempt: number) {
  assert.equal(this.completionOf().attempt, attempt);
});

Then('the request should still be pending', function (this: ExecutorWorld) {
  assert.equal(this.pendingCount(), 1, 'the request should stay pending');
});

Then('the acknowledgement should come after the publication', function (this: ExecutorWorld) {
  const history = this.broker.history.filter((h) => h.stream === STREAM);
  const ackIndex = history.findIndex((h) => h.op === 'ack');
  const publishIndex = history.findIndex((h) => h.op === 'append' && (h.type === 'io.flunq.task.completed' || h.type === 'io.flunq.task.dlq'));
  assert.ok(publishIndex >= 0, 'something should have been published');
  assert.ok(ackIndex > publishIndex, `ack (#${ackIndex}) should follow the publication (#${publishIndex})`);
});

Then('no dead letter should have been published', function (this: ExecutorWorld) {
  assert.equal(this.deadLetters().length, 0);
});

Then('a dead letter should have been published with a reason containing {string}', function (this: ExecutorWorld, fragment: string) {
  const dlq = this.deadLetters();
  assert.equal(dlq.length, 1, 'exactly one dead letter');
  const reason = dlq[0]?.fields['reason'] ?? '';
  assert.ok(reason.startsWith('task_execution_failed:'), `reason ${reason}`);
  assert.ok(reason.includes(fragment), `reason ${JSON.stringify(reason)} should contain ${JSON.stringify(fragment)}`);
});

Then('the dead letter should keep the original data {string}', function (this: ExecutorWorld, raw: string) {
  assert.equal(this.deadLetters()[0]?.fields['data'], raw);
});

Then('the dead letter reason should contain {string}', function (this: ExecutorWorld, fragment: string) {
  const reason = this.deadLetters()[0]?.fields['reason'] ?? '';
  assert.ok(reason.includes(fragment), `reason ${JSON.stringify(reason)} should contain ${JSON.stringify(fragment)}`);
});

Then('the dead letter should keep the original data', function (this: ExecutorWorld) {
  const raw = this.bag.get('raw data');
  assert.equal(typeof raw, 'string', 'no raw data was submitted');
  assert.equal(this.deadLetters()[0]?.fields['data'], raw);
});

Then('the dead letter should have no data field', function (this: ExecutorWorld) {
  assert.ok(!('data' in (this.deadLetters()[0]?.fields ?? {})));
});

Then('the dead letter should record {int} attempt(s)', function (this: ExecutorWorld, n: number) {
  assert.equal(this.deadLetters()[0]?.fields['attempt'], String(n));
});

Then('the dead letter should copy the request identity', function (this: ExecutorWorld) {
  const request = this.entries('io.flunq.task.requested')[0]?.fields ?? {};
  const dlq = this.deadLetters()[0]?.fields ?? {};
  for (const key of ['id', 'source', 'time', 'workflowid', 'executionid', 'taskid', 'tenantid']) assert.equal(dlq[key], request[key], key);
  assert.equal(dlq['type'], 'io.flunq.task.dlq');
});

Then('the executor should still be running', async function (this: ExecutorWorld) {
  assert.ok(this.loop && !this.loop.isDraining, 'loop should be running');
  this.bag.set('spec', { taskType: 'set', taskName: 'afterwards', parameters: { alive: true } });
  this.submit({ taskType: 'set', taskName: 'afterwards', parameters: { alive: true } });
  await this.settle();
  assert.equal(this.completionOf().success, true);
});

Then('at most {int} tasks should have run at once', function (this: ExecutorWorld, n: number) {
  assert.ok(this.metrics.maxInFlight <= n, `max in flight ${this.metrics.maxInFlight}`);
  assert.equal(this.metrics.maxInFlight, n, 'the limit should have been reached');
});

Then('{int} tasks should be running', function (this: ExecutorWorld, n: number) {
  assert.equal(this.loop?.inFlightCount, n);
});

Then('processing retries should have been recorded {int} time(s)', function (this: ExecutorWorld, n: number) {
  let total = 0;
  for (const [key, value] of this.metrics.counters) if (key.startsWith('retries|processing')) total += value;
  assert.equal(total, n);
});

Then('the shutdown should have completed', async function (this: ExecutorWorld) {
  let done = false;
  void this.stopping?.then(() => (done = true));
  await this.settle();
  assert.ok(done, 'stop() should have resolved');
});

Then('the shutdown should not have completed yet', async function (this: ExecutorWorld) {
  let done = false;
  void this.stopping?.then(() => (done = true));
  await this.settle();
  assert.ok(!done, 'stop() should still be waiting');
});

Then('{int} dead letters should have been published', function (this: ExecutorWorld, n: number) {
  assert.equal(this.deadLetters().length, n);
});

Then('{int} failed completions should have been published for the task', function (this: ExecutorWorld, n: number) {
  const mine = this.completions().filter((e) => e.fields['taskid'] === this.lastTaskId);
  assert.equal(mine.length, n);
  for (const e of mine) assert.equal((JSON.parse(e.fields['data'] ?? '{}') as { success?: boolean }).success, false);
});

Then('nothing published should contain {string}', function (this: ExecutorWorld, secret: string) {
  for (const entry of [...this.completions(), ...this.deadLetters()]) {
    const { data: _data, ...rest } = entry.fields;
    const published = entry.fields['type'] === 'io.flunq.task.dlq' ? JSON.stringify(rest) : JSON.stringify(entry.fields);
    assert.ok(!published.includes(secret), `${entry.fields['type']} entry leaks ${secret}: ${published.slice(0, 400)}`);
  }
});

Then('no log line should contain {string}', function (this: ExecutorWorld, secret: string) {
  for (const record of this.logger.records) {
    const line = JSON.stringify(record);
    assert.ok(!line.includes(secret), `log line leaks ${secret}: ${line}`);
  }
});

Then('the dead letter should leave the data out and name the request entry that keeps it', function (this: ExecutorWorld) {
  const raw = this.bag.get('raw data') as string;
  const fields = this.deadLetters()[0]?.fields ?? {};
  assert.equal(fields['data'], undefined);
  assert.equal(fields['data_omitted_bytes'], String(Buffer.byteLength(raw)));
  assert.equal(this.entries().find((e) => e.id === fields['data_kept_in'])?.fields['data'], raw);
});
