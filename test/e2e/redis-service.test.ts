import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const COMPLETED = 'io.flunq.task.completed';
let redis: TestRedis;
let client: Redis;
const services: ServiceProcess[] = [];

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    HOSTNAME: 'e2e-a',
    EXECUTOR_CONCURRENCY: '8',
    EXECUTOR_STREAM_BLOCK: '200ms',
    EXECUTOR_RECLAIM_IDLE: '1s',
    EXECUTOR_RECLAIM_INTERVAL: '250ms',
    EXECUTOR_SHUTDOWN_TIMEOUT: '10s',
    ...extra,
  };
}

async function launch(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const service = await startService(baseEnv(extra));
  services.push(service);
  return service;
}

before(async () => {
  buildService();
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  // Each test starts its own replicas; stop them so that they do not take the next test's tasks.
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
});
after(async () => {
  for (const s of services) s.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  await redis.stop();
});

async function completionsByTask(stream: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const e of await entriesOfType(client, stream, COMPLETED)) counts.set(e.fields['taskid'] ?? '', (counts.get(e.fields['taskid'] ?? '') ?? 0) + 1);
  return counts;
}

describe('the built service against a private Redis', () => {
  it('answers a flunq task.requested with a task.completed on the same stream, field by field', async () => {
    const service = await launch();
    const stream = streamKey('acme', 'wf_3f1c2a9b-8d7e-4c');
    const taskId = 'task-prepare-1756150540123456789';
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_3f1c2a9b-8d7e-4c', execution: 'ex_9a2e51c0-77b1-40', taskId, taskName: 'prepare', parameters: { set_data: { petId: 42 } } }));
    const [entry] = await eventually('the completion', async () => {
      const c = await entriesOfType(client, stream, COMPLETED);
      return c.length > 0 ? c : undefined;
    }, 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${service.output()}`);
    });
    assert.ok(entry);
    const f = entry.fields;
    assert.deepEqual(Object.keys(f).sort(), ['data', 'executionid', 'id', 'source', 'specversion', 'taskid', 'tenantid', 'time', 'type', 'workflowid']);
    assert.equal(f['id'], `task-completed-${taskId}`);
    assert.equal(f['source'], 'executor-service');
    assert.equal(f['specversion'], '1.0');
    assert.equal(f['type'], COMPLETED);
    assert.match(f['time'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(f['workflowid'], 'wf_3f1c2a9b-8d7e-4c');
    assert.equal(f['executionid'], 'ex_9a2e51c0-77b1-40');
    assert.equal(f['taskid'], taskId);
    assert.equal(f['tenantid'], 'acme');
    const data = JSON.parse(f['data'] ?? '') as Record<string, unknown>;
    assert.equal(data['task_id'], taskId);
    assert.equal(data['task_name'], 'prepare');
    assert.equal(data['tenant_id'], 'acme');
    assert.equal(data['success'], true);
    assert.equal(data['error'], '');
    assert.equal(data['attempt'], 1);
    assert.equal(typeof data['duration_ms'], 'number');
    assert.match(String(data['executed_at']), /Z$/);
    assert.deepEqual((data['output'] as Record<string, unknown>)['set_data'], { petId: 42 });
    const inner = data['data'] as { input: Record<string, unknown>; output: unknown; metadata: Record<string, unknown> };
    assert.equal(inner.input['task_name'], 'prepare');
    assert.deepEqual(inner.output, data['output']);
    assert.equal(inner.metadata['task_type'], 'set');
    assert.equal(inner.metadata['activity_name'], 'executor_activity');
    await eventually('nothing pending', async () => (await pendingCount(client, stream)) === 0);
    service.kill('SIGTERM');
    assert.equal(await service.exited, 0);
  });

  it('kill -9 with tasks in flight, then restart: every task has exactly one completion and nothing is left pending', async (t) => {
    const stream = streamKey('acme', 'wf_kill');
    const streamB = streamKey('acme', 'wf_kill_b');
    const first = await launch({ HOSTNAME: 'e2e-kill-1' });
    const sent: { stream: string; taskId: string }[] = [];
    // Waits long enough (1.5 s, 8 at a time) that a slow poll on a loaded machine still kills mid-batch.
    for (let i = 0; i < 32; i++) {
      const s = i % 2 === 0 ? stream : streamB;
      const taskId = `task-wait-${i}`;
      sent.push({ stream: s, taskId });
      await xadd(client, s, requestFields({ tenant: 'acme', workflow: s === stream ? 'wf_kill' : 'wf_kill_b', taskId, taskName: 'pause', taskType: 'wait', parameters: { duration: '1500ms' } }));
    }
    const completedCount = async (): Promise<number> => (await entriesOfType(client, stream, COMPLETED)).length + (await entriesOfType(client, streamB, COMPLETED)).length;
    await eventually('some tasks done, others running', async () => (await completedCount()) >= 8 && (await pendingCount(client, stream)) + (await pendingCount(client, streamB)) > 0, 15_000);
    first.kill('SIGKILL');
    await first.exited;
    const completedAtKill = await completedCount();
    const inFlightAtKill = (await pendingCount(client, stream)) + (await pendingCount(client, streamB));
    assert.ok(inFlightAtKill > 0, 'tasks were in flight at the kill');

    // A new replica (another host name): it reclaims the dead consumer's entries after 1 s idle.
    await launch({ HOSTNAME: 'e2e-kill-2' });
    await eventually('every task completed', async () => (await completedCount()) >= sent.length, 20_000);
    await eventually('nothing pending', async () => (await pendingCount(client, stream)) + (await pendingCount(client, streamB)) === 0, 5000);
    const counts = new Map([...(await completionsByTask(stream)), ...(await completionsByTask(streamB))]);
    const lost = sent.filter((s) => !counts.has(s.taskId)).length;
    const duplicates = [...counts.values()].filter((c) => c > 1).length;
    const completed = [...counts.values()].filter((c) => c >= 1).length;
    const leftPending = (await pendingCount(client, stream)) + (await pendingCount(client, streamB));
    const figures = `kill -9 figures: sent=${sent.length} completed-before-kill=${completedAtKill} in-flight-at-kill=${inFlightAtKill} completed=${completed} lost=${lost} duplicates=${duplicates} left-pending=${leftPending}`;
    t.diagnostic(figures);
    process.stderr.write(`${figures}\n`);
    assert.equal(lost, 0);
    assert.equal(duplicates, 0);
    assert.equal(leftPending, 0);
    assert.equal(completed, sent.length);
  });

  it('recovers when Redis restarts while it runs, and processes new tasks', async (t) => {
    if (!redis.owned) return t.skip('REDIS_URL given: will not restart a Redis this test did not start');
    const service = await launch({ HOSTNAME: 'e2e-restart' });
    const stream = streamKey('acme', 'wf_redis_restart');
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_redis_restart', taskId: 'task-r-1' }));
    await eventually('first completion', async () => (await completionsByTask(stream)).has('task-r-1'), 10_000);
    await redis.restart(1000);
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_redis_restart', taskId: 'task-r-2' }));
    await eventually('completion after the restart', async () => (await completionsByTask(stream)).has('task-r-2'), 15_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${service.output().slice(-3000)}`);
    });
    assert.equal(service.child.exitCode, null, 'the service is still running');
  });

  it('SIGTERM with tasks in flight: they complete and are acknowledged before the process exits with 0', async () => {
    const service = await launch({ HOSTNAME: 'e2e-term', EXECUTOR_CONCURRENCY: '4' });
    const stream = streamKey('acme', 'wf_term');
    for (let i = 0; i < 4; i++) {
      await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_term', taskId: `task-term-${i}`, taskName: 'pause', taskType: 'wait', parameters: { duration: '1500ms' } }));
    }
    await eventually('all four running in this replica', async () => {
      const summary = (await client.call('XPENDING', stream, 'executor-service').catch(() => [0])) as [number, string, string, [string, string][] | null];
      return summary[0] === 4 && summary[3]?.[0]?.[0] === 'executor-e2e-term';
    }, 10_000);
    service.kill('SIGTERM');
    const code = await service.exited;
    assert.equal(code, 0, service.output().slice(-2000));
    const counts = await completionsByTask(stream);
    assert.deepEqual([...counts.keys()].sort(), ['task-term-0', 'task-term-1', 'task-term-2', 'task-term-3']);
    assert.equal(await pendingCount(client, stream), 0);
  });
});
