import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/env';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.redisUrl, 'localhost:6379');
    assert.equal(c.concurrency, 4);
    assert.equal(c.consumerGroup, 'executor-service');
    assert.equal(c.consumerName, 'executor-unknown');
    assert.equal(c.streamBatch, 10);
    assert.equal(c.streamBlockMs, 1000);
    assert.equal(c.taskTimeoutMs, 300_000);
    assert.equal(c.retryMaxAttempts, 3);
    assert.equal(c.retryBaseDelayMs, 200);
    assert.equal(c.healthPort, 8083);
    assert.equal(c.metricsPort, 9091);
  });
  it('uses MAX_CONCURRENT_TASKS only when EXECUTOR_CONCURRENCY is unset', () => {
    assert.equal(loadConfig({ MAX_CONCURRENT_TASKS: '9' }).concurrency, 9);
    assert.equal(loadConfig({ MAX_CONCURRENT_TASKS: '9', EXECUTOR_CONCURRENCY: '2' }).concurrency, 2);
  });
  it('accepts Go durations and redis URLs', () => {
    const c = loadConfig({ EXECUTOR_STREAM_BLOCK: '250ms', REDIS_URL: 'rediss://user:pw@redis.example:6380/2' });
    assert.equal(c.streamBlockMs, 250);
    assert.equal(c.redisUrl, 'rediss://user:pw@redis.example:6380/2');
  });
  it('names every bad variable and its expected form at once', () => {
    assert.throws(
      () => loadConfig({ EXECUTOR_CONCURRENCY: 'many', EXECUTOR_STREAM_BLOCK: 'soon', LOG_LEVEL: 'loud' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 3);
        assert.match(e.message, /EXECUTOR_CONCURRENCY="many": expected an integer from 1 to 10000/);
        assert.match(e.message, /EXECUTOR_STREAM_BLOCK="soon": expected a duration/);
        assert.match(e.message, /LOG_LEVEL="loud": expected debug, info, warn or error/);
        return true;
      },
    );
  });
});
