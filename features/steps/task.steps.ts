import { Given, When } from '@cucumber/cucumber';
import { replayEntry } from '../../src/adapters/flunq-wire/dead-letters';
import { ExecutorWorld, STREAM, TaskSpec } from '../support/world';

function spec(world: ExecutorWorld): TaskSpec {
  const current = world.bag.get('spec') as TaskSpec | undefined;
  if (!current) throw new Error('no task described yet: start with a "Given a … task …" step');
  return current;
}

Given('the executor runs with concurrency {int}', function (this: ExecutorWorld, n: number) {
  this.env['EXECUTOR_CONCURRENCY'] = String(n);
});

Given('the setting {word} is {string}', function (this: ExecutorWorld, name: string, value: string) {
  this.env[name] = value;
});

Given('a {string} task {string}', function (this: ExecutorWorld, taskType: string, taskName: string) {
  this.bag.set('spec', { taskType, taskName, parameters: {} });
});

Given('a {string} task {string} with parameters:', function (this: ExecutorWorld, taskType: string, taskName: string, json: string) {
  this.bag.set('spec', { taskType, taskName, parameters: JSON.parse(json) as Record<string, unknown> });
});

Given('a {string} task {string} with parameters {string}', function (this: ExecutorWorld, taskType: string, taskName: string, json: string) {
  this.bag.set('spec', { taskType, taskName, parameters: JSON.parse(json) as Record<string, unknown> });
});

Given('a task {string} without a task type', function (this: ExecutorWorld, taskName: string) {
  this.bag.set('spec', { taskType: '', taskName, parameters: {} });
});

Given('the task input is:', function (this: ExecutorWorld, json: string) {
  spec(this).input = JSON.parse(json) as Record<string, unknown>;
});

Given('the task context is:', function (this: ExecutorWorld, json: string) {
  spec(this).context = JSON.parse(json) as Record<string, unknown>;
});

Given('the task config is:', function (this: ExecutorWorld, json: string) {
  spec(this).config = JSON.parse(json) as Record<string, unknown>;
});

Given('publishing to the stream fails {int} time(s)', function (this: ExecutorWorld, times: number) {
  this.faults.inject('settle', times, 'READONLY You can\'t write against a read only replica.');
});

When('the executor processes it', async function (this: ExecutorWorld) {
  await this.start();
  this.submit(spec(this));
  await this.settle();
});

When('the task is submitted', async function (this: ExecutorWorld) {
  await this.start();
  this.submit(spec(this));
  await this.settle();
});

When('{int} such tasks are submitted', async function (this: ExecutorWorld, count: number) {
  await this.start();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(this.submit({ ...spec(this), taskName: `${spec(this).taskName}${i}` }));
  this.bag.set('submitted', ids);
  await this.settle();
});

When('an event arrives with data {string}', async function (this: ExecutorWorld, raw: string) {
  await this.start();
  this.nextTaskId('broken');
  this.submitRaw(raw);
  await this.settle();
});

When('an event arrives whose data is {int} bytes of text that is not JSON', async function (this: ExecutorWorld, bytes: number) {
  await this.start();
  this.nextTaskId('oversize');
  const data = `{"blob": "${'x'.repeat(bytes - 11)}`;
  this.bag.set('raw data', data);
  this.submitRaw(data);
  await this.settle();
});

When('an event arrives whose input is nested {int} levels deep', async function (this: ExecutorWorld, levels: number) {
  await this.start();
  const taskId = this.nextTaskId('deep');
  const data = JSON.stringify(this.requestData({ taskName: 'deep', taskType: 'set', input: { marker: true } }, taskId));
  this.submitRaw(data.replace('"marker":true', `"deep":${'['.repeat(levels)}${']'.repeat(levels)}`));
  await this.settle();
});

When('an event arrives without data', async function (this: ExecutorWorld) {
  await this.start();
  this.nextTaskId('broken');
  this.submitRaw(undefined);
  await this.settle();
});

When('an entry of type {string} arrives', async function (this: ExecutorWorld, type: string) {
  await this.start();
  this.nextTaskId('other');
  this.submitRaw('{"ok":true}', { type, source: 'worker-service' });
  await this.settle();
});

When('the same request is delivered again', async function (this: ExecutorWorld) {
  const original = this.entries('io.flunq.task.requested')[0];
  if (!original) throw new Error('no request to replay');
  this.broker.append('tenant:acme:workflow:wf_3f1c2a9b-8d7e-4c:events', original.fields);
  await this.settle();
});

When('the executor crashes', async function (this: ExecutorWorld) {
  await this.crash();
});

When('the executor is asked to shut down', async function (this: ExecutorWorld) {
  await this.start();
  this.stopping = this.loop?.stop(this.config.executor.shutdownTimeoutMs);
  await this.settle();
});

When('the shutdown finishes', async function (this: ExecutorWorld) {
  await this.stop();
});

When('the dead letter is replayed', async function (this: ExecutorWorld) {
  const dlq = this.deadLetters().at(-1);
  if (!dlq) throw new Error('no dead letter to replay');
  const replays = this.deadLetters().length;
  this.broker.append(STREAM, replayEntry(STREAM, dlq.id, dlq.fields, replays, this.clock.now()));
  await this.settle();
});
