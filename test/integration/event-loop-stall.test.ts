import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createExecutor } from '../../src/config/container';
import { loadConfig } from '../../src/config/env';
import { ExecutorService } from '../../src/config/service';
import { getJson, waitUntil } from '../support/ops';

describe('liveness after an event-loop stall (this process, embedded service)', () => {
  let service: ExecutorService;
  let base: string;

  before(async () => {
    const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', HOSTNAME: 'stall', HEALTH_PORT: '0', METRICS_PORT: '0', HEALTH_HOST: '127.0.0.1', EXECUTOR_STALL_THRESHOLD: '1s' });
    const executor = await createExecutor(config, { profile: 'embedded' });
    service = executor.service;
    await service.start();
    base = `http://127.0.0.1:${executor.healthServer?.port ?? 0}`;
  });
  after(() => service.stop());

  it('/healthz fails with the stall length once the loop was held longer than EXECUTOR_STALL_THRESHOLD', async () => {
    assert.equal((await getJson(`${base}/healthz`)).status, 200);
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      // Synchronous work holds the event loop, as a runaway computation on hostile input would.
    }
    await waitUntil(async () => (await fetch(`${base}/healthz`)).status === 503, 5000);
    const { body } = await getJson(`${base}/healthz`);
    assert.equal(body['status'], 'failing');
    assert.match(String(body['reason']), /^event loop stalled for 1\.[4-9] s$/);
    assert.equal((await getJson(`${base}/health`)).body['status'], 'DOWN');
    assert.equal((await getJson(`${base}/readyz`)).status, 200, 'readiness is not affected');
  });
});
