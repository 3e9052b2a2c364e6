import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { EXECUTION, ExecutorWorld, TaskSpec, WORKFLOW } from '../support/world';

function currentSpec(world: ExecutorWorld): TaskSpec {
  const spec = world.bag.get('spec') as TaskSpec | undefined;
  if (!spec) throw new Error('no task described yet');
  return spec;
}

interface TrySummary {
  attempts?: number;
  delays_ms?: number[];
  retry_stopped?: string;
}

/** The attempts and delays a try task reports: error_details.data on failure, data.input.try on success. */
function trySummary(c: CompletedPayload): TrySummary {
  const holder: unknown = c.success ? (c.data.input as { try?: unknown }).try : (c.error_details as { data?: unknown } | undefined)?.data;
  return holder ?? {};
}

Given('a try task {string} carrying the configuration:', function (this: ExecutorWorld, taskName: string, json: string) {
  // As the flunq worker does: both input copies, and try/catch merged into config.parameters.
  const configuration = JSON.parse(json) as Record<string, unknown>;
  this.bag.set('spec', {
    taskType: 'try',
    taskName,
    input: { try_catch_config: configuration, try_config: configuration },
    parameters: { try: configuration['try'], catch: configuration['catch'] },
  } satisfies TaskSpec);
});

Given('the task input also carries:', function (this: ExecutorWorld, json: string) {
  const spec = currentSpec(this);
  spec.input = { ...(spec.input ?? {}), ...(JSON.parse(json) as Record<string, unknown>) };
});

When("the worker's retry-path request for {string} arrives", async function (this: ExecutorWorld, taskName: string) {
  await this.start();
  const taskId = this.nextTaskId(taskName);
  const retryContext = { is_retry: true, attempt_count: 1, original_task_id: `task-${taskName}-1756150540000000000` };
  const data = {
    task_id: taskId,
    task_name: taskName,
    task_type: 'try',
    workflow_id: WORKFLOW,
    execution_id: EXECUTION,
    input: {
      task_name: taskName,
      workflow_id: WORKFLOW,
      timestamp: '2025-08-25T19:35:45Z',
      retry_context: retryContext,
      workflow_input: { petId: 42 },
      task_definition: { call: 'openapi', with: { operationId: 'getPetById' } },
    },
    context: { workflow_input: { petId: 42 }, retry_context: retryContext },
  };
  this.submitRaw(JSON.stringify(data), { source: 'workflow-engine' });
  await this.settle();
});

Then('the error details should record {int} attempt(s)', function (this: ExecutorWorld, attempts: number) {
  const c = this.completionOf();
  assert.equal(c.success, false);
  assert.equal(trySummary(c).attempts, attempts);
});

Then('the completion should record {int} attempt(s)', function (this: ExecutorWorld, attempts: number) {
  const c = this.completionOf();
  assert.equal(c.success, true);
  assert.equal(trySummary(c).attempts, attempts);
});

Then('the error details should record {int} attempt(s) with delays {string}', function (this: ExecutorWorld, attempts: number, delays: string) {
  const summary = trySummary(this.completionOf());
  assert.equal(summary.attempts, attempts);
  assert.deepEqual(summary.delays_ms, delays.trim() === '' ? [] : delays.split(',').map((d) => Number(d.trim())));
});

Then('the completion should record {int} attempt(s) with delays {string}', function (this: ExecutorWorld, attempts: number, delays: string) {
  const c = this.completionOf();
  assert.equal(c.success, true);
  const summary = trySummary(c);
  assert.equal(summary.attempts, attempts);
  assert.deepEqual(summary.delays_ms, delays.trim() === '' ? [] : delays.split(',').map((d) => Number(d.trim())));
});

Then('the retries should have stopped because {string}', function (this: ExecutorWorld, reason: string) {
  assert.equal(trySummary(this.completionOf()).retry_stopped, reason);
});

Then('every retry delay should be between {int} and {int} ms', function (this: ExecutorWorld, from: number, to: number) {
  const delays = trySummary(this.completionOf()).delays_ms ?? [];
  assert.ok(delays.length > 0, 'some retries');
  for (const delay of delays) assert.ok(delay >= from && delay <= to, `delay ${delay} should be within [${from}, ${to}]`);
});

Then('the retry delays should add up to the task duration', function (this: ExecutorWorld) {
  const c = this.completionOf();
  const total = (trySummary(c).delays_ms ?? []).reduce((a, b) => a + b, 0);
  assert.equal(c.duration_ms, total);
});

Then('workflow retries should have been recorded {int} time(s)', function (this: ExecutorWorld, n: number) {
  assert.equal(this.metrics.count('retries', 'workflow', 'try'), n);
});

/** The JSON request that follows the `### <title>` heading of an example in docs/try-tasks.md. */
export function documentedExample(title: string): Record<string, unknown> {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'try-tasks.md'), 'utf8');
  const start = doc.indexOf(`\n### ${title}\n`);
  if (start < 0) throw new Error(`docs/try-tasks.md has no example "${title}"`);
  const block = /```json\n([\s\S]*?)```/.exec(doc.slice(start));
  if (!block?.[1]) throw new Error(`example "${title}" has no JSON block`);
  return JSON.parse(block[1]) as Record<string, unknown>;
}

When('the documented example {string} is submitted', async function (this: ExecutorWorld, title: string) {
  await this.start();
  // The documented ids (wf_1, ex_1) are swapped for the scenario's stream.
  const data: Record<string, unknown> = { ...documentedExample(title), workflow_id: WORKFLOW, execution_id: EXECUTION };
  this.lastTaskId = String(data['task_id']);
  this.submitRaw(JSON.stringify(data));
  await this.settle();
});

Then('the error should name the filter pattern and say {string}', function (this: ExecutorWorld, reason: string) {
  const c = this.completionOf();
  assert.equal(c.success, false);
  const filter = (currentSpec(this).parameters?.['catch'] as { errors: { with: { details: string } } }).errors.with;
  const prefix = `invalid error filter pattern ${JSON.stringify(filter.details)}: `;
  assert.ok(c.error.startsWith(prefix), `error ${JSON.stringify(c.error)} should start with ${JSON.stringify(prefix)}`);
  assert.ok(c.error.includes(reason), `error ${JSON.stringify(c.error)} should say ${JSON.stringify(reason)}`);
});

Then('the completion input should not carry the try configuration', function (this: ExecutorWorld) {
  const input = this.completionOf().data.input;
  for (const key of ['try_catch_config', 'try_config']) assert.ok(!(key in input), `data.input should not have ${key}`);
});
