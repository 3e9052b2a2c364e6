import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryRateLimiter } from '../../../src/adapters/memory/in-memory-rate-limiter';
import { NatsRateLimiter } from '../../../src/adapters/nats/nats-rate-limiter';
import { RedisRateLimiter } from '../../../src/adapters/redis/redis-rate-limiter';
import { ConfigError, loadConfig } from '../../../src/config/env';
import { rateLimitBackend, rateLimitModule } from '../../../src/config/modules/rate-limit.module';
import { buildContainer } from '../../../src/config/container';
import { testDoublesModule } from '../../support/test-profile';
import { tracingModule } from '../../../src/config/modules/tracing.module';
import { OUTBOUND_CALLS, RATE_LIMITER } from '../../../src/config/tokens';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('rate-limit and audit settings', () => {
  it('are off by default', () => {
    const config = loadConfig({});
    assert.deepEqual(config.rateLimits, { backend: 'auto', rules: [], maxWaitMs: undefined, maxPenaltyMs: 60_000, backoffMs: 1000 });
    assert.deepEqual(config.callAudit, { enabled: false, bodies: false, maxBodyBytes: 2048 });
  });

  it('read the table, the waits and the audit switches', () => {
    const config = loadConfig({ CALL_RATE_LIMITS: 'api.example.com=10/s; *.stripe.com=100/m:burst=20', CALL_RATE_LIMIT_MAX_WAIT: '5s', CALL_RATE_LIMIT_MAX_PENALTY: '2m', CALL_RATE_LIMIT_BACKOFF: '0s', CALL_AUDIT_LOG: 'yes', CALL_AUDIT_BODIES: 'true', CALL_AUDIT_BODY_BYTES: '512' });
    assert.deepEqual(config.rateLimits.rules.map((r) => `${r.pattern}=${r.rate.text}:${r.burst}`), ['api.example.com=10/s:1', '*.stripe.com=100/m:20']);
    assert.equal(config.rateLimits.maxWaitMs, 5000);
    assert.equal(config.rateLimits.maxPenaltyMs, 120_000);
    assert.equal(config.rateLimits.backoffMs, 0);
    assert.deepEqual(config.callAudit, { enabled: true, bodies: true, maxBodyBytes: 512 });
  });

  it('report a bad table naming the entry', () => {
    const [problem] = problems({ CALL_RATE_LIMITS: 'api.example.com=10/s; stripe=fast' });
    assert.match(problem ?? '', /^CALL_RATE_LIMITS="api.example.com=10\/s; stripe=fast": entry "stripe=fast": "fast" is not a rate/);
    assert.match(problems({ CALL_RATE_LIMIT_BACKEND: 'etcd' })[0] ?? '', /CALL_RATE_LIMIT_BACKEND="etcd": expected auto, memory, redis or nats/);
    assert.match(problems({ CALL_AUDIT_BODY_BYTES: '10' })[0] ?? '', /CALL_AUDIT_BODY_BYTES="10": expected an integer from 64 to 65536/);
  });

  it('keep the buckets where the stream is, unless told otherwise', () => {
    assert.equal(rateLimitBackend(loadConfig({})), 'redis');
    assert.equal(rateLimitBackend(loadConfig({ EVENT_STREAM_TYPE: 'nats' })), 'nats');
    assert.equal(rateLimitBackend(loadConfig({ EVENT_STREAM_TYPE: 'memory' })), 'memory');
    assert.equal(rateLimitBackend(loadConfig({ EVENT_STREAM_TYPE: 'nats', CALL_RATE_LIMIT_BACKEND: 'redis' })), 'redis');
  });

  it('bind the limiter of the backend (connecting on first use only) and the gate of the call handler', async () => {
    for (const [env, type] of [
      [{ EVENT_STREAM_TYPE: 'memory' }, InMemoryRateLimiter],
      [{}, RedisRateLimiter],
      [{ EVENT_STREAM_TYPE: 'nats' }, NatsRateLimiter],
    ] as const) {
      const config = loadConfig(env);
      const container = await buildContainer([testDoublesModule(), tracingModule(config.tracing), rateLimitModule(config)]);
      assert.ok(container.get(RATE_LIMITER) instanceof type);
      assert.ok(container.get(OUTBOUND_CALLS));
      await container.unbindAll();
    }
  });
});
