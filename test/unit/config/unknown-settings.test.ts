import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveConfig, withoutCredentials } from '../../../src/config/effective-config';
import { loadConfig, VARIABLES } from '../../../src/config/env';
import { closestName, describeUnknownSetting, levenshtein, SETTING_PREFIXES, unknownSettings } from '../../../src/config/unknown-settings';

describe('unknown settings', () => {
  it('levenshtein counts insertions, deletions and substitutions', () => {
    assert.equal(levenshtein('', ''), 0);
    assert.equal(levenshtein('abc', 'abc'), 0);
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('EXECUTOR_CONCURENCY', 'EXECUTOR_CONCURRENCY'), 1);
    assert.equal(levenshtein('', 'abc'), 3);
  });

  it('suggests the closest known name, and none when nothing is close', () => {
    assert.equal(closestName('EXECUTOR_CONCURENCY', Object.keys(VARIABLES)), 'EXECUTOR_CONCURRENCY');
    assert.equal(closestName('REDIS_PASWORD', Object.keys(VARIABLES)), 'REDIS_PASSWORD');
    assert.equal(closestName('LOG_LEVLE', Object.keys(VARIABLES)), 'LOG_LEVEL');
    assert.equal(closestName('EXECUTOR_SOMETHING_ELSE_ENTIRELY', Object.keys(VARIABLES)), undefined);
  });

  it('reports variables with a setting prefix that the table does not know, with a suggestion', () => {
    const found = unknownSettings({ EXECUTOR_CONCURENCY: '8', EXECUTOR_CONCURRENCY: '4', PATH: '/bin', HOME: '/root', LOG_LEVLE: 'debug', NODE_ENV: 'production' });
    assert.deepEqual(found, [
      { name: 'EXECUTOR_CONCURENCY', suggestion: 'EXECUTOR_CONCURRENCY' },
      { name: 'LOG_LEVLE', suggestion: 'LOG_LEVEL' },
    ]);
    assert.equal(describeUnknownSetting(found[0]!), 'unknown setting EXECUTOR_CONCURENCY (did you mean EXECUTOR_CONCURRENCY?)');
    assert.equal(describeUnknownSetting({ name: 'CONSOLE_THING', suggestion: undefined }), 'unknown setting CONSOLE_THING');
  });

  it('knows every name in the settings table, so that settings added to it are known at once', () => {
    const env = Object.fromEntries(Object.keys(VARIABLES).map((name) => [name, 'x']));
    assert.deepEqual(unknownSettings(env), []);
    assert.deepEqual(unknownSettings({ NATS_URL: 'nats://localhost:4222' }, [...Object.keys(VARIABLES), 'NATS_URL']), []);
    assert.deepEqual(unknownSettings({ NATS_URLS: 'x' }, [...Object.keys(VARIABLES), 'NATS_URL']), [{ name: 'NATS_URLS', suggestion: 'NATS_URL' }]);
  });

  it('covers every prefix of the table (but HOSTNAME and MAX_CONCURRENT_TASKS, which predate them, and the OTEL_ and GRPC_ variables, of which the OpenTelemetry SDK and grpc-js read more themselves)', () => {
    for (const name of Object.keys(VARIABLES)) {
      if (name === 'HOSTNAME' || name === 'MAX_CONCURRENT_TASKS' || name.startsWith('OTEL_') || name.startsWith('GRPC_')) continue;
      assert.ok(SETTING_PREFIXES.some((p) => name.startsWith(p)), `${name} has a known prefix`);
    }
  });

  it('leaves alone what other software sets: proxies and Kubernetes service links', () => {
    const env = {
      HTTP_PROXY: 'http://proxy:3128',
      REDIS_SERVICE_HOST: '10.0.0.1',
      REDIS_SERVICE_PORT: '6379',
      REDIS_SERVICE_PORT_REDIS: '6379',
      REDIS_PORT: 'tcp://10.0.0.1:6379',
      REDIS_PORT_6379_TCP: 'tcp://10.0.0.1:6379',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.1',
      REDIS_PORT_6379_TCP_PORT: '6379',
      REDIS_PORT_6379_TCP_PROTO: 'tcp',
    };
    assert.deepEqual(unknownSettings(env), []);
    assert.deepEqual(unknownSettings({ REDIS_PORT: '6379' }), [{ name: 'REDIS_PORT', suggestion: 'REDIS_URL' }]);
  });
});

describe('effective configuration', () => {
  it('hides passwords, tokens and the credentials of URLs, and keeps the rest', () => {
    const config = loadConfig({ REDIS_URL: 'redis://ops:hunter22@redis.internal:6379/0', REDIS_PASSWORD: 'hunter22', EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_TOKEN: 'sixteen-chars-or-more', EXECUTOR_CONCURRENCY: '8' });
    const shown = effectiveConfig(config) as { redis: Record<string, unknown>; health: Record<string, unknown>; executor: Record<string, unknown> };
    assert.doesNotMatch(JSON.stringify(shown), /hunter22|sixteen-chars/);
    assert.equal(shown.redis['url'], 'redis://ops:***@redis.internal:6379/0');
    assert.equal(shown.redis['password'], '***');
    assert.equal(shown.health['submitToken'], '***');
    assert.equal(shown.executor['concurrency'], 8);
    assert.deepEqual(Object.keys(shown), Object.keys(config), 'every group is there');
  });

  it('cuts credentials out of any URL', () => {
    assert.equal(withoutCredentials('redis://:secret@host:6379'), 'redis://:***@host:6379');
    assert.equal(withoutCredentials('nats://token@host:4222'), 'nats://***@host:4222');
    assert.equal(withoutCredentials('rediss://host:6380'), 'rediss://host:6380');
    assert.equal(withoutCredentials('localhost:6379'), 'localhost:6379');
  });
});
