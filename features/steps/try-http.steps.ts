import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { EXECUTION, ExecutorWorld, TaskSpec, WORKFLOW } from '../support/world';
import { documentedExample } from './try.steps';

/** Requests the fake API saw (recorded by the call steps' nock interceptors). */
function requestCount(world: ExecutorWorld): number {
  return ((world.bag.get('call.requests') as unknown[] | undefined) ?? []).length;
}

/**
 * HTTP answers are real I/O, so the fake clock alone cannot bring a try task to its next
 * wait: poll in real time until the task has completed or sleeps on the clock, with no new
 * request for two polls. Sleeping means two timers more than before the submission: the
 * task's deadline and the retry delay (the loop's own timers are in the baseline).
 */
async function untilQuiet(world: ExecutorWorld): Promise<void> {
  const until = Date.now() + 5000;
  let last = -1;
  let stable = 0;
  while (Date.now() < until) {
    await world.settle();
    const count = requestCount(world);
    const baseline = (world.bag.get('try.baselineTimers') as number | undefined) ?? 0;
    const idle = world.completions().length > 0 || world.clock.pendingTimers().length >= baseline + 2;
    stable = idle && count === last ? stable + 1 : 0;
    if (stable >= 2) return;
    last = count;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the try task neither completed nor waited within 5 s (requests: ${requestCount(world)})`);
}

When('the try task has run until it waits or completes', async function (this: ExecutorWorld) {
  await untilQuiet(this);
});

When('the try task is submitted and runs until it waits or completes', async function (this: ExecutorWorld) {
  await this.start();
  const spec = this.bag.get('spec') as TaskSpec | undefined;
  if (!spec) throw new Error('no task described yet');
  await this.settle();
  this.bag.set('try.baselineTimers', this.clock.pendingTimers().length);
  this.submit(spec);
  await untilQuiet(this);
});

When('the clock advances by {duration} and the try task runs until it waits or completes', async function (this: ExecutorWorld, ms: number) {
  await this.clock.advance(ms);
  await untilQuiet(this);
});

Then('the API should have been called {int} time(s) so far', function (this: ExecutorWorld, n: number) {
  assert.equal(requestCount(this), n);
});

When('the documented example {string} is submitted and runs until it waits or completes', async function (this: ExecutorWorld, title: string) {
  await this.start();
  const data: Record<string, unknown> = { ...documentedExample(title), workflow_id: WORKFLOW, execution_id: EXECUTION };
  this.lastTaskId = String(data['task_id']);
  await this.settle();
  this.bag.set('try.baselineTimers', this.clock.pendingTimers().length);
  this.submitRaw(JSON.stringify(data));
  await untilQuiet(this);
});
