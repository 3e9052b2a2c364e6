import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/env';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.redis.url, 'localhost:6379');
    assert.equal(c.executor.concurrency, 4);
    assert.equal(c.stream.group, 'executor-service');
    assert.equal(c.stream.consumer, 'executor-unknown');
    assert.equal(c.stream.batch, 10);
    assert.equal(c.stream.blockMs, 1000);
    assert.equal(c.executor.taskTimeoutMs, 300_000);
    assert.equal(c.retry.maxAttempts, 3);
    assert.equal(c.retry.baseDelayMs, 200);
    assert.equal(c.health.port, 8083);
    assert.equal(c.health.metricsPort, 9091);
  });
  it('refuses a consumer group NATS cannot name a durable consumer after', () => {
    assert.throws(() => loadConfig({ EVENT_STREAM_TYPE: 'nats', EXECUTOR_CONSUMER_GROUP: 'exec.utor' }), /EXECUTOR_CONSUMER_GROUP="exec.utor": with EVENT_STREAM_TYPE=nats/);
    assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'nats', EXECUTOR_CONSUMER_GROUP: 'executor-2' }).stream.group, 'executor-2');
    assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'redis', EXECUTOR_CONSUMER_GROUP: 'exec.utor' }).stream.group, 'exec.utor');
  });

  it('uses MAX_CONCURRENT_TASKS only when EXECUTOR_CONCURRENCY is unset', () => {
    assert.equal(loadConfig({ MAX_CONCURRENT_TASKS: '9' }).executor.concurrency, 9);
    assert.equal(loadConfig({ MAX_CONCURRENT_TASKS: '9', EXECUTOR_CONCURRENCY: '2' }).executor.concurrency, 2);
  });
  it('accepts Go durations and redis URLs', () => {
    const c = loadConfig({ EXECUTOR_STREAM_BLOCK: '250ms', REDIS_URL: 'rediss://user:pw@redis.example:6380/2' });
    assert.equal(c.stream.blockMs, 250);
    assert.equal(c.redis.url, 'rediss://user:pw@redis.example:6380/2');
  });
  it('reads REDIS_CLUSTER_NODES as seed nodes (empty: a single Redis) and refuses a node without a port', () => {
    assert.deepEqual(loadConfig({}).redis.clusterNodes, []);
    assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-1.redis:7001,[::1]:7002' }).redis.clusterNodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-1.redis', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    for (const bad of ['10.0.0.1', 'host:0', 'host:70000', 'redis://host:7000']) {
      assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), (e: unknown) => e instanceof ConfigError && /REDIS_CLUSTER_NODES/.test(e.message), bad);
    }
  });
  it('refuses a REDIS_URL the connection could not parse, as a configuration error', () => {
    for (const bad of ['redis://host:notaport', 'redis://[::1', 'redis://host:70000', 'host:99999', 'rediss://:pw@']) {
      assert.throws(() => loadConfig({ REDIS_URL: bad }), (e: unknown) => e instanceof ConfigError && /REDIS_URL/.test(e.message), bad);
    }
    for (const good of ['redis://[::1]:6379', '[::1]:6379', 'localhost', 'redis-0.redis:6379', 'redis://:pw@host/3']) assert.equal(loadConfig({ REDIS_URL: good }).redis.url, good);
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
  describe('fair dispatch settings', () => {
    it('are on by default, reading ahead as many tasks as run at once, with a tenth of the slots in reserve', () => {
      const { fair } = loadConfig({ EXECUTOR_CONCURRENCY: '20' }).executor;
      assert.equal(fair.enabled, true);
      assert.equal(fair.readAhead, 20);
      assert.equal(fair.reserve, 2);
      assert.equal(fair.workflowCap, undefined);
      assert.deepEqual(fair.shares.fallback, { weight: 1, cap: undefined });
    });

    it('read the tenant table, the workflow cap, the read-ahead and the reserve', () => {
      const { fair } = loadConfig({ EXECUTOR_TENANT_SHARES: 'acme=3,beta=1:cap=4,*=2', EXECUTOR_WORKFLOW_CAP: '2', EXECUTOR_READ_AHEAD: '5', EXECUTOR_FAIR_RESERVE: '0', EXECUTOR_FAIR_DISPATCH: 'true' }).executor;
      assert.deepEqual(fair.shares.tenants.get('beta'), { weight: 1, cap: 4 });
      assert.deepEqual(fair.shares.fallback, { weight: 2, cap: undefined });
      assert.equal(fair.workflowCap, 2);
      assert.equal(fair.readAhead, 5);
      assert.equal(fair.reserve, 0);
    });

    it('name the bad entry of a tenant table, as a configuration error', () => {
      assert.throws(
        () => loadConfig({ EXECUTOR_TENANT_SHARES: 'acme=3,beta=x' }),
        (e: unknown) => e instanceof ConfigError && /EXECUTOR_TENANT_SHARES="acme=3,beta=x": entry "beta=x": the weight must be an integer from 1 to 1000, got "x"; expected tenant=weight/.test(e.message),
      );
    });

    it('refuse a reserve of every slot', () => {
      assert.throws(() => loadConfig({ EXECUTOR_CONCURRENCY: '4', EXECUTOR_FAIR_RESERVE: '4' }), (e: unknown) => e instanceof ConfigError && /EXECUTOR_FAIR_RESERVE=4: must be below EXECUTOR_CONCURRENCY \(4\)/.test(e.message));
    });
  });
  describe('the submit API (POST /tasks)', () => {
    const TOKEN = 'a-long-enough-submit-token';
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.problems;
      }
      return [];
    };

    it('listens on 127.0.0.1 unless HEALTH_HOST says otherwise', () => {
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory' }).health.host, '127.0.0.1');
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '::1' }).health.host, '::1');
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'false' }).health.host, undefined, 'no submit API: all interfaces, for probes');
      assert.equal(loadConfig({}).health.host, undefined, 'production: all interfaces, for probes');
    });

    it('requires EXECUTOR_SUBMIT_TOKEN on a non-loopback HEALTH_HOST', () => {
      for (const host of ['0.0.0.0', '::', '10.0.0.5', 'executor.internal']) {
        const found = problems({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: host });
        assert.equal(found.length, 1, host);
        assert.match(found[0] ?? '', new RegExp(`^EXECUTOR_SUBMIT_TOKEN: required when the submit API \\(POST /tasks\\) listens on HEALTH_HOST=${host.replace(/\./g, '\\.')},`));
      }
      const withToken = loadConfig({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '0.0.0.0', EXECUTOR_SUBMIT_TOKEN: TOKEN });
      assert.equal(withToken.health.submitToken, TOKEN);
      assert.equal(withToken.health.host, '0.0.0.0');
    });

    it('needs no token on loopback addresses or without the submit API', () => {
      for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', '::ffff:127.0.0.1']) assert.deepEqual(problems({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: host }), [], host);
      assert.deepEqual(problems({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '0.0.0.0', EXECUTOR_SUBMIT_API: 'false' }), []);
      assert.deepEqual(problems({ HEALTH_HOST: '0.0.0.0' }), [], 'the Redis profile has no submit API');
    });

    it('refuses a token shorter than 16 characters', () => {
      assert.match(problems({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_TOKEN: 'short' })[0] ?? '', /^EXECUTOR_SUBMIT_TOKEN="short": expected text \(at least 16 characters\)/);
    });
  });

  describe('the console’s traces (CONSOLE_TRACES)', () => {
    it('are kept by default where the console is on by default: embedded mode', () => {
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory' }).tracing.record, true);
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'redis' }).tracing.record, false);
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'redis', CONSOLE_ENABLED: 'true' }).tracing.record, false, 'production: only when asked');
    });
    it('follow the setting, and never without a console', () => {
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'redis', CONSOLE_ENABLED: 'true', CONSOLE_TRACES: 'true' }).tracing.record, true);
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory', CONSOLE_TRACES: 'false' }).tracing.record, false);
      assert.equal(loadConfig({ EVENT_STREAM_TYPE: 'memory', CONSOLE_ENABLED: 'false', CONSOLE_TRACES: 'true' }).tracing.record, false);
    });
  });

  describe('per-tenant shares of broker connections and gRPC channels', () => {
    it('default to a quarter of each pool, and take a value within it', () => {
      const c = loadConfig({});
      assert.equal(c.asyncApi.maxConnectionsPerTenant, 8);
      assert.equal(c.grpc.maxChannelsPerTenant, 64);
      const set = loadConfig({ ASYNCAPI_MAX_CONNECTIONS_PER_TENANT: '32', GRPC_MAX_CHANNELS_PER_TENANT: '1' });
      assert.deepEqual([set.asyncApi.maxConnectionsPerTenant, set.grpc.maxChannelsPerTenant], [32, 1]);
    });
    it('refuse a value beyond the pool or below one, naming the setting', () => {
      assert.throws(() => loadConfig({ ASYNCAPI_MAX_CONNECTIONS_PER_TENANT: '33', GRPC_MAX_CHANNELS_PER_TENANT: '0' }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
          'GRPC_MAX_CHANNELS_PER_TENANT="0": expected an integer from 1 to 256 (the channels kept open)',
          'ASYNCAPI_MAX_CONNECTIONS_PER_TENANT="33": expected an integer from 1 to 32 (the broker connections kept open)',
        ]);
        return true;
      });
    });
  });
});
