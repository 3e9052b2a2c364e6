import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { SeededRandom } from '../../support/seeded-random';
import { Re2jsPatternMatcher } from '../../../src/adapters/re2/re2js-pattern-matcher';
import { TryTaskHandler } from '../../../src/application/handlers/try/try.handler';
import { TaskRequest } from '../../../src/domain/task-request';
import { failed, succeeded, TaskOutcome } from '../../../src/domain/task-result';
import { errors, httpStatusError } from '../../../src/domain/workflow-error';
import { fakeContext, FakeContext, request, tryRequest } from './fake-context';

const CALL = { call: 'http', with: { method: 'GET', url: 'https://api.example.com/x' } };

function retry(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { delay: { seconds: 1 }, backoff: { constant: {} }, limit: { attempt: { count: 3 } }, ...extra };
}

interface Run extends FakeContext {
  outcome: Promise<TaskOutcome>;
  metrics: InMemoryMetrics;
  settled: () => boolean;
}

async function start(req: TaskRequest, script: Parameters<typeof fakeContext>[1], deadlineMs?: number, seed = 7): Promise<Run> {
  const fake = await fakeContext(req, script, deadlineMs);
  const metrics = new InMemoryMetrics();
  const handler = new TryTaskHandler(fake.clock, new SeededRandom(seed), metrics, new Re2jsPatternMatcher());
  let done = false;
  const outcome = handler.execute(fake.context).finally(() => (done = true));
  return { ...fake, outcome, metrics, settled: () => done };
}

async function runToEnd(req: TaskRequest, script: Parameters<typeof fakeContext>[1], deadlineMs?: number): Promise<Run & { result: TaskOutcome }> {
  const run = await start(req, script, deadlineMs);
  for (let i = 0; i < 1000 && !run.settled(); i++) await run.clock.advance(1000);
  return { ...run, result: await run.outcome };
}

function problemData(outcome: TaskOutcome): Record<string, unknown> {
  assert.equal(outcome.success, false);
  if (outcome.success) throw new Error('unreachable');
  return outcome.error.toProblem().data ?? {};
}

describe('TryTaskHandler: retries', () => {
  it('retries a caught 503 until it succeeds: exactly 3 calls, 1 s apart on the clock', async () => {
    const run = await start(tryRequest(CALL, { errors: { with: { status: 503 } }, retry: retry() }), [503, 503, 200]);
    await run.clock.advance(999);
    assert.equal(run.calls.length, 1);
    await run.clock.advance(1);
    assert.equal(run.calls.length, 2);
    await run.clock.advance(1000);
    const outcome = await run.outcome;
    assert.equal(run.calls.length, 3);
    assert.deepEqual(run.calls.map((c) => c.at - run.calls[0]!.at), [0, 1000, 2000]);
    assert.deepEqual(outcome, succeeded({ status_code: 200 }, { task_name: 'guarded', workflow_id: 'wf_1', timestamp: '2025-08-25T19:35:40Z', try: { attempts: 3, delays_ms: [1000, 1000] } }));
    assert.equal(run.metrics.count('retries', 'workflow', 'try'), 2);
    assert.equal(run.logger.records.filter((r) => r.level === 'warn').length, 2);
  });

  it('asks the inner task not to retry on its own while it has a retry policy, and only then', async () => {
    const withRetry = await start(tryRequest(CALL, { errors: { with: { status: 503 } }, retry: retry() }), [200]);
    await withRetry.outcome;
    assert.equal(withRetry.calls[0]?.workflowRetries, true, 'transport retries would multiply the workflow attempts');
    const { calls } = await runToEnd(tryRequest(CALL, {}), [200]);
    assert.equal(calls[0]?.workflowRetries, false);
  });

  it('passes the inner call parameters and a clean input (no try configuration) to the inner task', async () => {
    const { calls } = await runToEnd(tryRequest(CALL, {}, { workflow_input: { a: 1 } }), [200]);
    assert.deepEqual(calls[0]?.parameters, { call_type: 'http', method: 'GET', url: 'https://api.example.com/x' });
    assert.deepEqual(calls[0]?.input, { task_name: 'guarded', workflow_id: 'wf_1', timestamp: '2025-08-25T19:35:40Z', workflow_input: { a: 1 } });
  });

  it('fails with the last error and the last output once the attempts are used up, without running do', async () => {
    const last = failed(httpStatusError(502), { status_code: 502, body: 'last' });
    const { result, calls } = await runToEnd(
      tryRequest(CALL, { errors: { with: { status: [502, 503] } }, retry: retry(), do: [{ notify: { set: { recovered: true } } }] }),
      [503, 503, last],
    );
    assert.equal(calls.length, 3);
    assert.ok(calls.every((c) => c.taskType === 'call'), 'do must not run after exhaustion');
    assert.equal(result.success, false);
    assert.deepEqual(result.output, { status_code: 502, body: 'last' });
    if (!result.success) assert.equal(result.error.detail, 'HTTP request failed with status 502');
    assert.deepEqual(problemData(result), { code: 'HTTP_5XX', retry_stopped: 'attempt limit of 3 reached', attempts: 3, delays_ms: [1000, 1000] });
  });

  it('has no hard cap of 5 attempts', async () => {
    const { calls, result } = await runToEnd(tryRequest(CALL, { retry: retry({ limit: { attempt: { count: 8 } } }) }), [503]);
    assert.equal(calls.length, 8);
    assert.equal(problemData(result)['attempts'], 8);
  });

  it('computes exponential delays capped by maxDelay', async () => {
    const { calls, result } = await runToEnd(
      tryRequest(CALL, { retry: { delay: 'PT1S', backoff: { exponential: { multiplier: 3, maxDelay: { seconds: 5 } } }, limit: { attempt: { count: 5 } } } }),
      [503],
    );
    assert.deepEqual(problemData(result)['delays_ms'], [1000, 3000, 5000, 5000]);
    assert.deepEqual(calls.map((c) => c.at - calls[0]!.at), [0, 1000, 4000, 9000, 14000]);
  });

  it('computes linear delays', async () => {
    const { result } = await runToEnd(tryRequest(CALL, { retry: { delay: 'PT1S', backoff: { linear: { increment: 'PT0.5S' } }, limit: { attempt: { count: 4 } } } }), [503]);
    assert.deepEqual(problemData(result)['delays_ms'], [1000, 1500, 2000]);
  });

  it('adds jitter within [from, to) drawn from the Random port', async () => {
    const { result, calls } = await runToEnd(tryRequest(CALL, { retry: retry({ jitter: { from: { milliseconds: 100 }, to: { milliseconds: 500 } }, limit: { attempt: { count: 6 } } }) }), [503]);
    const delays = problemData(result)['delays_ms'] as number[];
    assert.equal(delays.length, 5);
    for (const d of delays) assert.ok(d >= 1100 && d < 1500, `delay ${d}`);
    assert.ok(new Set(delays).size > 1, 'jitter varies');
    const random = new SeededRandom(7);
    assert.deepEqual(delays, delays.map(() => Math.round(1100 + random.next() * 400)));
    assert.deepEqual(calls.slice(1).map((c, i) => c.at - calls[i]!.at), delays);
  });

  it('stops when limit.duration would be passed by the next delay', async () => {
    const { calls, result } = await runToEnd(tryRequest(CALL, { retry: { delay: 'PT2S', limit: { attempt: { count: 10 }, duration: 'PT5S' } } }), [503]);
    assert.equal(calls.length, 3, 'attempts at 0, 2 s and 4 s; a retry at 6 s would pass 5 s');
    assert.match(String(problemData(result)['retry_stopped']), /retry duration limit of 5000 ms/);
  });

  it('stops when an attempt ran longer than limit.attempt.duration', async () => {
    const slowFailure = async (_call: unknown, clock: FakeContext['clock']): Promise<TaskOutcome> => {
      await clock.sleep(300);
      return failed(httpStatusError(503));
    };
    const { calls, result } = await runToEnd(tryRequest(CALL, { retry: retry({ limit: { attempt: { count: 5, duration: { milliseconds: 200 } } } }) }), slowFailure);
    assert.equal(calls.length, 1);
    assert.equal(problemData(result)['retry_stopped'], 'attempt ran longer than 200 ms');
  });

  it('stops before a delay that would pass the task deadline', async () => {
    const { calls, result } = await runToEnd(tryRequest(CALL, { retry: retry({ limit: { attempt: { count: 10 } }, delay: 'PT4S' }) }), [503], 10_000);
    assert.equal(calls.length, 3, 'attempts at 0, 4 s, 8 s; the next retry at 12 s would pass the 10 s deadline');
    assert.match(String(problemData(result)['retry_stopped']), /would pass the task deadline/);
  });

  it('honours retry_context.attempt_count as attempts already made', async () => {
    const { calls, result } = await runToEnd(tryRequest(CALL, { retry: retry() }, { retry_context: { is_retry: true, attempt_count: 2, original_task_id: 't' } }), [503]);
    assert.equal(calls.length, 1);
    assert.equal(problemData(result)['attempts'], 3);
  });

  it('stops waiting when the task is cancelled', async () => {
    const run = await start(tryRequest(CALL, { retry: retry() }), [503]);
    await run.clock.advance(10);
    run.controller.abort(errors.cancelled('task cancelled: executor shutting down'));
    const outcome = await run.outcome;
    assert.equal(outcome.success, false);
    if (!outcome.success) assert.equal(outcome.error.code, 'CANCELLED');
    assert.equal(run.calls.length, 1);
  });
});

describe('TryTaskHandler: catch', () => {
  it('fails with the inner error and output when the filter does not match', async () => {
    const inner = failed(httpStatusError(404), { status_code: 404 });
    const { result, calls } = await runToEnd(tryRequest(CALL, { errors: { with: { status: 503 } }, retry: retry() }), [inner]);
    assert.equal(calls.length, 1);
    assert.equal(result.success, false);
    if (!result.success) assert.equal(result.error.detail, 'HTTP request failed with status 404');
    assert.deepEqual(result.output, { status_code: 404 });
  });

  it('stops retrying when a later error no longer matches', async () => {
    const { calls, result } = await runToEnd(tryRequest(CALL, { errors: { with: { status: 503 } }, retry: retry({ limit: { attempt: { count: 9 } } }) }), [503, 404]);
    assert.equal(calls.length, 2);
    if (!result.success) assert.equal(result.error.status, 404);
  });

  it('catches any failure of the inner task, not only HTTP statuses', async () => {
    const { result } = await runToEnd(tryRequest({ wait: 'soon' }, {}), [errors.validation('invalid duration', 'INVALID_DURATION')]);
    assert.equal(result.success, true);
    assert.equal((result.output as { error: { type: string } }).error.type, 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
  });

  it('without retry or do, succeeds with {<as>: error}, never with an empty key', async () => {
    for (const as of [undefined, '', 'failure']) {
      const { result } = await runToEnd(tryRequest(CALL, as === undefined ? {} : { as }), [503]);
      const key = as ? as : 'error';
      assert.deepEqual(Object.keys(result.output as object), [key]);
      assert.deepEqual((result.output as Record<string, unknown>)[key], { ...httpStatusError(503).toProblem() });
    }
  });

  it('evaluates when and exceptWhen over the error ($error, .error and the as name)', async () => {
    const cases: [Record<string, unknown>, boolean][] = [
      [{ when: '${ $error.status >= 500 }' }, true],
      [{ when: '${ .error.status == 404 }' }, false],
      [{ exceptWhen: '${ .error.status == 503 }' }, false],
      [{ as: 'oops', when: '${ $oops.status == 503 and .oops.title == "HTTP Request Failed" }' }, true],
      [{ when: '${ .workflow_input.critical }' }, false],
      [{ when: '.error.status == 503' }, true],
    ];
    for (const [catchBlock, caught] of cases) {
      const { result } = await runToEnd(tryRequest(CALL, catchBlock, {}, { context: { workflow_input: { critical: false } } }), [503]);
      assert.equal(result.success, caught, JSON.stringify(catchBlock));
    }
  });

  it('evaluates the retry policy\'s own when: declined retries go to recovery', async () => {
    const { result, calls } = await runToEnd(tryRequest(CALL, { retry: retry({ when: '${ $error.status == 429 }' }) }), [503]);
    assert.equal(calls.length, 1);
    assert.equal(result.success, true);
  });

  it('fails with an expression error when a condition cannot be evaluated', async () => {
    const { result } = await runToEnd(tryRequest(CALL, { when: '${ .error.status | nosuchfunction }' }), [503]);
    assert.equal(result.success, false);
    if (!result.success) assert.equal(result.error.kind, 'expression');
  });

  it('runs do in document order with the error available; the last output is the task output', async () => {
    const { result, calls } = await runToEnd(
      tryRequest(CALL, {
        do: { zeta: { task_type: 'set', config: { parameters: { step: 1, status: '${ .error.status }' } } }, alpha: { set: { step: 2, title: '${ $error.title }' } } },
      }),
      (call) => (call.taskType === 'call' ? failed(httpStatusError(503)) : succeeded({ ...call.parameters, from: 'recovery' })),
    );
    assert.deepEqual(calls.map((c) => c.taskType), ['call', 'set', 'set']);
    assert.deepEqual(calls[1]?.parameters, { step: 1, status: 503 });
    assert.deepEqual(calls[2]?.parameters, { step: 2, title: 'HTTP Request Failed' });
    assert.equal((calls[2]?.input?.['error'] as { status: number }).status, 503);
    assert.equal(result.success, true);
    assert.deepEqual(result.output, { step: 2, title: 'HTTP Request Failed', from: 'recovery' });
    assert.deepEqual(result.resolvedInput?.['try'], { attempts: 1, delays_ms: [] });
  });

  it('fails the whole task when a recovery task fails', async () => {
    const { result } = await runToEnd(
      tryRequest(CALL, { do: [{ first: { set: { a: 1 } } }, { broken: { wait: 'never' } }, { never: { set: { b: 2 } } }] }),
      (call) => (call.taskType === 'call' ? failed(httpStatusError(503)) : call.taskType === 'wait' ? failed(errors.validation('invalid duration', 'INVALID_DURATION')) : succeeded({})),
    );
    assert.equal(result.success, false);
    if (!result.success) {
      assert.equal(result.error.kind, 'validation');
      assert.equal(result.error.data?.['caught_error'], 'HTTP request failed with status 503');
    }
  });

  it('applies try.output.as to the inner output', async () => {
    const { result } = await runToEnd(
      tryRequest({ call: 'openapi', with: { document: { endpoint: 'https://h/o.json' }, operationId: 'inv' }, output: { as: { count: '${ .content.available }', broken: '${ .x | nosuch }' } } }, {}),
      [succeeded({ content: { available: 7 } })],
    );
    assert.deepEqual(result.output, { count: 7 });
  });

  it('runs an SDL try list in order and stops at the first failure', async () => {
    const { calls, result } = await runToEnd(
      tryRequest([{ a: { set: { n: 1 } } }, { b: CALL }, { c: { set: { n: 3 } } }], { retry: retry({ limit: { attempt: { count: 2 } } }) }),
      (call) => (call.taskType === 'call' ? failed(httpStatusError(503)) : succeeded(call.parameters)),
    );
    assert.deepEqual(calls.map((c) => c.taskType), ['set', 'call', 'set', 'call']);
    assert.equal(result.success, false);
  });
});

describe('TryTaskHandler: configuration errors', () => {
  it('answers the worker retry-path request without configuration with a failed outcome', async () => {
    const req = request({ context: { workflow_input: { a: 1 }, retry_context: { attempt_count: 1 } }, input: { retry_context: { is_retry: true, attempt_count: 1 }, workflow_input: { a: 1 }, task_definition: {} } });
    const { result, calls } = await runToEnd(req, [200]);
    assert.equal(calls.length, 0);
    assert.equal(result.success, false);
    if (!result.success) {
      assert.equal(result.error.detail, 'invalid try configuration: try configuration not found in task input');
      assert.equal(result.error.kind, 'configuration');
    }
  });
});
