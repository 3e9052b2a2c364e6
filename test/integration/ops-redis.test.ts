import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { replace } from '../../src/config/binding';
import { createDeadLetterOperations, createExecutor } from '../../src/config/container';
import { loadConfig } from '../../src/config/env';
import { ExecutorService } from '../../src/config/service';
import { LOGGER } from '../../src/config/tokens';
import { deadLetterEntry } from '../support/flunq';
import { capturedLogger, getJson, sample, waitUntil } from '../support/ops';
import { startRedis, TestRedis } from '../support/redis-server';

const STREAM = 'tenant:acme:workflow:wf_ops:events';

function request(taskId: string, taskType: string): Record<string, string> {
  return {
    id: `task-requested-${taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: 'io.flunq.task.requested',
    time: '2025-08-25T19:35:40Z',
    workflowid: 'wf_ops',
    executionid: 'ex_ops',
    taskid: taskId,
    tenantid: 'acme',
    data: JSON.stringify({ task_id: taskId, task_name: taskId.split('-')[1], task_type: taskType, config: { parameters: { set_data: { ok: true } } } }),
  };
}

async function entries(redis: Redis, type: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (const [, flat] of await redis.xrange(STREAM, '-', '+')) {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    if (fields['type'] === type) out.push(fields);
  }
  return out;
}

describe('production profile against a private redis-server: metrics, readiness, dead-letter replay', () => {
  let server: TestRedis;
  let redis: Redis;
  let service: ExecutorService;
  let base: string;

  before(async () => {
    server = await startRedis();
    redis = server.client();
    const config = loadConfig({ REDIS_URL: server.url, HOSTNAME: 'ops-it', EXECUTOR_STREAM_BLOCK: '200ms', HEALTH_PORT: '0', METRICS_PORT: '0', HEALTH_HOST: '127.0.0.1', EXECUTOR_SHUTDOWN_TIMEOUT: '2s' });
    const executor = await createExecutor(config, { profile: 'production', replacements: [replace(LOGGER, capturedLogger('warn').logger)] });
    service = executor.service;
    await service.start();
    base = `http://127.0.0.1:${executor.healthServer?.port ?? 0}`;
  });

  after(async () => {
    await service.stop();
    redis.disconnect();
    await server.stop();
  });

  it('is ready once Redis is reachable, runs tasks from the stream and /metrics moves', async () => {
    await waitUntil(async () => (await getJson(`${base}/readyz`)).status === 200);
    await redis.xadd(STREAM, '*', ...Object.entries(request('task-first-1', 'set')).flat());
    await redis.xadd(STREAM, '*', ...Object.entries(request('task-odd-2', 'teleport')).flat());
    await waitUntil(async () => (await entries(redis, 'io.flunq.task.completed')).length === 2);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 1);
    assert.equal(sample(text, 'executor_dead_letters_total{reason="UNKNOWN_TASK_TYPE"}'), 1);
    assert.match(text, /^executor_pending_entries\{group="executor-service"\} \d+$/m);
    assert.match(text, /^executor_consumer_lag\{group="executor-service"\} \d+$/m);
  });

  it('replays a dead letter with the CLI operations; the executor runs the replay although the task had an outcome', async () => {
    // A set task that was dead-lettered earlier (e.g. its completion could not be published).
    const original = request('task-again-3', 'set');
    await redis.xadd(STREAM, '*', ...Object.entries(deadLetterEntry(original, 'PUBLICATION_FAILED: redis down', 3)).flat());
    const operations = await createDeadLetterOperations(loadConfig({ REDIS_URL: server.url }));
    try {
      const listed = (await operations.list.execute()).filter((d) => d.taskId === 'task-again-3');
      assert.equal(listed.length, 1);
      const [outcome] = await operations.replay.execute({ location: STREAM, messageIds: [listed[0]!.messageId] });
      assert.ok(outcome && 'replayed' in outcome, JSON.stringify(outcome));
      assert.equal(outcome.replayed.eventId, 'task-requested-task-again-3-replay-1');
      await waitUntil(async () => (await entries(redis, 'io.flunq.task.completed')).some((e) => e['taskid'] === 'task-again-3'));
      const completion = (await entries(redis, 'io.flunq.task.completed')).find((e) => e['taskid'] === 'task-again-3')!;
      assert.equal((JSON.parse(completion['data']!) as { success: boolean }).success, true);
      assert.equal((await operations.list.execute()).filter((d) => d.taskId === 'task-again-3').length, 1, 'the dead letter stays');
      assert.equal((await operations.show.execute({ location: STREAM, messageId: listed[0]!.messageId }))?.replays.length, 1);
    } finally {
      await operations.close();
    }
  });

  it('is not ready (503 with a reason) when Redis goes away', async () => {
    await server.stop();
    await waitUntil(async () => (await getJson(`${base}/readyz`)).status === 503, 15_000);
    const ready = await getJson(`${base}/readyz`);
    assert.equal(ready.body['status'], 'not_ready');
    assert.equal(typeof ready.body['reason'], 'string');
    assert.equal((await getJson(`${base}/healthz`)).status, 200, 'still live: a restart would not bring Redis back');
  });
});
