import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { ExecutorWorld, TaskSpec } from '../support/world';

When('the task is submitted together with {int} quick tasks', async function (this: ExecutorWorld, count: number) {
  const spec = this.bag.get('spec') as TaskSpec;
  await this.start();
  this.submit(spec);
  const runaway = this.lastTaskId;
  const quick: string[] = [];
  for (let i = 0; i < count; i++) {
    // Not a plain path: evaluated by jq, in the same pool as the runaway expression.
    quick.push(this.submit({ taskType: 'set', taskName: `quick${i}`, parameters: { next: '${ .input.n + 1 }' }, input: { n: i } }));
  }
  this.bag.set('quick', quick);
  this.lastTaskId = runaway;
  await this.settle();
});

Then('the {int} quick tasks should have succeeded', function (this: ExecutorWorld, count: number) {
  const quick = this.bag.get('quick') as string[];
  assert.equal(quick.length, count);
  quick.forEach((taskId, i) => {
    const completion = this.completionOf(taskId);
    assert.equal(completion.success, true, `quick task ${i}: ${completion.error}`);
    assert.deepEqual((completion.output as Record<string, unknown>)['next'], i + 1);
  });
});
