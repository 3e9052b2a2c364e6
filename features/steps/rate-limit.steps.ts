import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import nock from 'nock';
import { ExecutorWorld, TaskSpec } from '../support/world';

/** When (on the scenario's clock) each request reached the fake API, and what was sent for each submission. */
interface RateState {
  arrivals: number[];
  submittedAt: number;
}

function state(world: ExecutorWorld): RateState {
  let s = world.bag.get('rate') as RateState | undefined;
  if (!s) world.bag.set('rate', (s = { arrivals: [], submittedAt: 0 }));
  return s;
}

function spec(world: ExecutorWorld): TaskSpec {
  const current = world.bag.get('spec') as TaskSpec | undefined;
  if (!current) throw new Error('no task described yet');
  return current;
}

function answer(world: ExecutorWorld, origin: string, path: string, reply: (n: number) => [number, string, Record<string, string>]): void {
  nock(origin)
    .intercept((p: string) => p.split('?')[0] === path, 'GET')
    .times(50)
    .reply(function () {
      const s = state(world);
      s.arrivals.push(world.clock.now());
      return reply(s.arrivals.length);
    });
}

Given('the API {string} answers every GET {string} with status {int}', function (this: ExecutorWorld, origin: string, path: string, status: number) {
  answer(this, origin, path, () => [status, '{}', { 'Content-Type': 'application/json' }]);
});

Given('the API {string} answers the first GET {string} with status {int} and Retry-After {string}, then with status 200', function (this: ExecutorWorld, origin: string, path: string, status: number, retryAfter: string) {
  answer(this, origin, path, (n) => (n === 1 ? [status, '{"error": "slow down"}', { 'Content-Type': 'application/json', 'Retry-After': retryAfter }] : [200, '{}', { 'Content-Type': 'application/json' }]));
});

Given('the GraphQL API {string} answers every POST {string} with:', function (this: ExecutorWorld, origin: string, path: string, body: string) {
  nock(origin)
    .post(path)
    .times(50)
    .reply(() => {
      state(this).arrivals.push(this.clock.now());
      return [200, body, { 'Content-Type': 'application/json' }];
    });
});

/**
 * HTTP answers are real I/O: after each move of the clock, wait in real time until no new request
 * arrives and no new completion appears for a few polls, so that each request is recorded at the
 * time on the clock when it was sent.
 */
async function quiet(world: ExecutorWorld): Promise<void> {
  let last = '';
  let stable = 0;
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    await world.settle();
    const now = `${state(world).arrivals.length}/${world.completions().length}`;
    stable = now === last ? stable + 1 : 0;
    if (stable >= 3) return;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the calls did not settle within 5 s');
}

When('{int} such call tasks are published at once and the clock runs for {duration}', async function (this: ExecutorWorld, count: number, ms: number) {
  await this.start();
  await this.settle();
  // Request times count from the first publication of the scenario.
  if (this.bag.get('rate.started') === undefined) {
    this.bag.set('rate.started', true);
    state(this).submittedAt = this.clock.now();
  }
  for (let i = 0; i < count; i++) this.submit({ ...spec(this) });
  await quiet(this);
  // Small steps, so that the clock stops at every slot (a tenth of a second apart at most).
  for (let t = 0; t < ms; t += 100) {
    await this.clock.advance(Math.min(100, ms - t));
    await quiet(this);
  }
});

Then('the API should have received the requests at {string} ms', function (this: ExecutorWorld, list: string) {
  const s = state(this);
  assert.deepEqual(
    s.arrivals.map((t) => t - s.submittedAt),
    list.split(',').map((x) => Number(x.trim())),
  );
});

Then('{int} of the tasks should have succeeded and {int} failed with code {string}', function (this: ExecutorWorld, ok: number, failed: number, code: string) {
  const outcomes = this.completions().map((e) => JSON.parse(e.fields['data'] ?? '{}') as { success: boolean; error_details?: { data?: { code?: string } } });
  assert.equal(outcomes.filter((o) => o.success).length, ok, JSON.stringify(outcomes));
  assert.equal(outcomes.filter((o) => !o.success && o.error_details?.data?.code === code).length, failed, JSON.stringify(outcomes));
});

Then('the metrics should count {int} rate-limit wait(s) and {int} refusal(s) for {string}', function (this: ExecutorWorld, waits: number, refusals: number, limit: string) {
  assert.equal(this.metrics.count('rate_limit_waits', limit), waits);
  assert.equal(this.metrics.count('rate_limit_refusals', limit), refusals);
});

Then('the audit log should show {int} outbound call(s) to {string} with status {int}', function (this: ExecutorWorld, n: number, url: string, status: number) {
  const lines = this.logger.records.filter((r) => r.message === 'outbound call' && r.fields['url'] === url && r.fields['status'] === status);
  assert.equal(lines.length, n, JSON.stringify(this.logger.records.filter((r) => r.message === 'outbound call')));
  for (const line of lines) {
    assert.equal(line.fields['protocol'], 'http');
    assert.equal(line.fields['method'], 'GET');
    assert.equal(typeof line.fields['durationMs'], 'number');
    assert.equal(line.fields['workflowId'], 'wf_3f1c2a9b-8d7e-4c');
    assert.match(String(line.fields['taskId']), /^task-/);
  }
});
