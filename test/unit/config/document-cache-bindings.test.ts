import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildContainer, profileModules } from '../../../src/config/container';
import { loadConfig } from '../../../src/config/env';
import { DOCUMENT_CACHE } from '../../../src/config/tokens';

describe('the shared document cache of each backend', () => {
  for (const [type, backend] of [['redis', 'redis'], ['nats', 'nats'], ['memory', 'memory']] as const) {
    it(`EVENT_STREAM_TYPE=${type} keeps documents in ${backend}, connecting only when a document is looked up`, async () => {
      const config = loadConfig({ EVENT_STREAM_TYPE: type, HOSTNAME: 'test', EXECUTOR_SUBMIT_API: 'false', REDIS_URL: '127.0.0.1:1', NATS_URL: 'nats://127.0.0.1:1' });
      const container = await buildContainer(profileModules(config));
      try {
        assert.equal(container.get(DOCUMENT_CACHE).backend, backend);
      } finally {
        await container.unbindAll();
      }
    });
  }

  it('is on by default with a day of stale serving, and can be turned off', () => {
    const defaults = loadConfig({ HOSTNAME: 'test' }).openApi;
    assert.equal(defaults.sharedCache, true);
    assert.equal(defaults.maxStaleMs, 24 * 3600 * 1000);
    const off = loadConfig({ HOSTNAME: 'test', OPENAPI_CACHE_SHARED: 'false', OPENAPI_CACHE_MAX_STALE: '0s' }).openApi;
    assert.equal(off.sharedCache, false);
    assert.equal(off.maxStaleMs, 0);
  });
});
