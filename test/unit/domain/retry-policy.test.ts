import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryPolicy, RetryPolicySpec } from '../../../src/domain/retry-policy';
import { errors, httpStatusError } from '../../../src/domain/workflow-error';

function policy(overrides: Partial<RetryPolicySpec>): RetryPolicy {
  return new RetryPolicy({ delayMs: 100, backoff: { kind: 'constant' }, retryOn: 'any', ...overrides });
}

describe('RetryPolicy.delayAfter', () => {
  it('constant backoff keeps the base delay', () => {
    const p = policy({});
    assert.deepEqual([1, 2, 3].map((n) => p.delayAfter(n, 0)), [100, 100, 100]);
  });
  it('linear backoff adds the increment per attempt', () => {
    const p = policy({ backoff: { kind: 'linear', incrementMs: 50 } });
    assert.deepEqual([1, 2, 3].map((n) => p.delayAfter(n, 0)), [100, 150, 200]);
  });
  it('exponential backoff multiplies and is capped', () => {
    const p = policy({ backoff: { kind: 'exponential', multiplier: 3 }, maxDelayMs: 500 });
    assert.deepEqual([1, 2, 3, 4].map((n) => p.delayAfter(n, 0)), [100, 300, 500, 500]);
  });
  it('jitter adds a random amount in [from, to)', () => {
    const p = policy({ jitter: { fromMs: 10, toMs: 30 } });
    assert.equal(p.delayAfter(1, 0), 110);
    assert.equal(p.delayAfter(1, 0.5), 120);
    assert.equal(p.delayAfter(1, 0.999), 130);
  });
});

describe('RetryPolicy.decide', () => {
  const error = httpStatusError(503);
  it('retries until the attempt count, which includes the first attempt', () => {
    const p = policy({ maxAttempts: 3 });
    assert.equal(p.decide({ attempt: 1, elapsedMs: 0, error, random: 0 }).action, 'retry');
    assert.equal(p.decide({ attempt: 2, elapsedMs: 0, error, random: 0 }).action, 'retry');
    assert.deepEqual(p.decide({ attempt: 3, elapsedMs: 0, error, random: 0 }), { action: 'give-up', reason: 'attempt limit of 3 reached' });
  });
  it('stops when the next delay would pass the elapsed-time limit', () => {
    const p = policy({ maxElapsedMs: 1000 });
    assert.equal(p.decide({ attempt: 1, elapsedMs: 900, error, random: 0 }).action, 'retry');
    assert.equal(p.decide({ attempt: 1, elapsedMs: 901, error, random: 0 }).action, 'give-up');
  });
  it('stops when the failed attempt ran longer than the attempt duration limit', () => {
    const p = policy({ maxAttemptDurationMs: 50 });
    assert.equal(p.decide({ attempt: 1, elapsedMs: 0, lastAttemptMs: 51, error, random: 0 }).action, 'give-up');
  });
  it('for processing retries, asks the kind of error and not its message', () => {
    const p = policy({ retryOn: 'retryable-errors' });
    assert.equal(p.decide({ attempt: 1, elapsedMs: 0, error, random: 0 }).action, 'retry');
    const notRetryable = errors.validation('HTTP timeout connection network');
    assert.equal(p.decide({ attempt: 1, elapsedMs: 0, error: notRetryable, random: 0 }).action, 'give-up');
    assert.equal(p.decide({ attempt: 1, elapsedMs: 0, error: httpStatusError(404), random: 0 }).action, 'give-up');
  });
});
