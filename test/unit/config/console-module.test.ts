import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObservedTaskInbox } from '../../../src/application/activity/observed-task-inbox';
import { buildContainer, profileModules } from '../../../src/config/container';
import { effectiveConfig } from '../../../src/config/effective-config';
import { loadConfig } from '../../../src/config/env';
import { HEALTH_SERVER, TASK_ACTIVITY, TASK_INBOX } from '../../../src/config/tokens';

const BASE = { HEALTH_PORT: '0', METRICS_PORT: '0', HOSTNAME: 'console-unit', LOG_LEVEL: 'error' };

async function served(env: Record<string, string>, path: string): Promise<number> {
  const config = loadConfig({ ...BASE, ...env });
  const container = await buildContainer(profileModules(config));
  const server = container.get(HEALTH_SERVER);
  await server.start();
  try {
    return (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
  } finally {
    await server.close();
    // The service closes the inbox when it stops; here nothing started it.
    await container.get(TASK_INBOX).close();
    await container.unbindAll();
  }
}

describe('the console module', () => {
  it('is on by default in embedded mode: the inbox the loop reads is observed', async () => {
    const config = loadConfig({ ...BASE, EVENT_STREAM_TYPE: 'memory' });
    assert.equal(config.health.console, true);
    const container = await buildContainer(profileModules(config));
    try {
      assert.ok(container.get(TASK_INBOX) instanceof ObservedTaskInbox);
      assert.ok(container.isBound(TASK_ACTIVITY));
    } finally {
      await container.unbindAll();
    }
  });

  it('is off by default in production, and when CONSOLE_ENABLED=false: nothing observed, no route', async () => {
    assert.equal(loadConfig({ ...BASE }).health.console, false);
    const config = loadConfig({ ...BASE, EVENT_STREAM_TYPE: 'memory', CONSOLE_ENABLED: 'false' });
    const container = await buildContainer(profileModules(config));
    try {
      assert.equal(container.get(TASK_INBOX) instanceof ObservedTaskInbox, false);
      assert.equal(container.isBound(TASK_ACTIVITY), false);
    } finally {
      await container.unbindAll();
    }
    assert.equal(await served({ EVENT_STREAM_TYPE: 'memory', CONSOLE_ENABLED: 'false', HEALTH_HOST: '127.0.0.1' }, '/console'), 404);
  });

  it('serves /console on the health server when on (production needs CONSOLE_ENABLED=true)', async () => {
    assert.equal(await served({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '127.0.0.1' }, '/console'), 200);
    assert.equal(await served({ EVENT_STREAM_TYPE: 'redis', REDIS_URL: '127.0.0.1:1', CONSOLE_ENABLED: 'true', HEALTH_HOST: '127.0.0.1' }, '/console/dead-letters'), 200);
  });

  it('refuses a CONSOLE_TOKEN shorter than 16 characters, and never logs one', () => {
    assert.throws(() => loadConfig({ ...BASE, CONSOLE_TOKEN: 'short' }), /CONSOLE_TOKEN="short": expected text \(at least 16 characters\)/);
    const logged = JSON.stringify(effectiveConfig(loadConfig({ ...BASE, CONSOLE_TOKEN: 'console-token-0123456789' })));
    assert.doesNotMatch(logged, /console-token-0123456789/);
  });
});
