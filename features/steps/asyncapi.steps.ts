import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { WorkflowError } from '../../src/domain/workflow-error';
import { ExecutorWorld, TaskSpec } from '../support/world';

Given('the broker answers messages on {string} with:', function (this: ExecutorWorld, address: string, json: string) {
  const reply = JSON.parse(json) as { payload: unknown; headers?: Record<string, string> };
  this.messageBrokers.answer(address, () => ({ payload: reply.payload, headers: reply.headers ?? {} }));
});

Given('the message brokers cannot be reached', function (this: ExecutorWorld) {
  this.messageBrokers.failure = new WorkflowError({ kind: 'communication', code: 'NETWORK', title: 'Communication Failed', detail: 'AMQP connection failed: connect ECONNREFUSED 10.1.2.3:5672', status: 503, retryable: true });
});

/** Like `the call task runs`, with room for the first document's parse (real time: the parser is real). */
When('the asyncapi call task runs', { timeout: 60_000 }, async function (this: ExecutorWorld) {
  const spec = this.bag.get('spec') as TaskSpec | undefined;
  if (!spec) throw new Error('no task described yet');
  await this.start();
  const baseline = this.completions().length;
  this.submit(spec);
  await this.until('the call completes', () => this.completions().length > baseline, 30_000);
});

Then('the broker should have received on {string}:', function (this: ExecutorWorld, address: string, json: string) {
  const delivery = this.messageBrokers.deliveries.at(-1);
  assert.ok(delivery, 'a message was handed to a broker');
  assert.equal(delivery.message.address, address);
  assert.deepEqual({ payload: delivery.message.payload, headers: delivery.message.headers }, JSON.parse(json));
});

Then('the broker should have been {string} at {string}', function (this: ExecutorWorld, protocol: string, host: string) {
  const delivery = this.messageBrokers.deliveries.at(-1);
  assert.deepEqual([delivery?.target.protocol, delivery?.target.host], [protocol, host]);
});

Then('the broker should have received nothing', function (this: ExecutorWorld) {
  assert.deepEqual(this.messageBrokers.deliveries, []);
});

Then('the broker credentials should have been {string} and {string}', function (this: ExecutorWorld, username: string, password: string) {
  const target = this.messageBrokers.deliveries.at(-1)?.target;
  assert.deepEqual([target?.username, target?.password], [username, password]);
});

Then('the error should not mention {string}', function (this: ExecutorWorld, text: string) {
  const completion = this.completionOf();
  assert.ok(!`${completion.error} ${JSON.stringify(completion.error_details)}`.includes(text));
});
