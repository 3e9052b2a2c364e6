import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { buildService, ServiceProcess, startService } from '../support/service-process';
import { heldLeases } from '../support/task-keys';

let redis: TestRedis;
let client: Redis;
const services: ServiceProcess[] = [];

before(async () => {
  buildService();
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  for (const s of services) s.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  await redis.stop();
});

async function launch(hostname: string): Promise<ServiceProcess> {
  const service = await startService({
    REDIS_URL: redis.url,
    HOSTNAME: hostname,
    EXECUTOR_STREAM_BLOCK: '200ms',
    EXECUTOR_RECLAIM_IDLE: '1s',
    EXECUTOR_RECLAIM_INTERVAL: '250ms',
    EXECUTOR_MAX_DELIVERIES: '2',
  });
  services.push(service);
  return service;
}

/** Delivery count and owner of the one pending entry of the stream, if any. */
async function pendingEntry(stream: string): Promise<{ consumer: string; count: number } | undefined> {
  const rows = (await client.call('XPENDING', stream, 'executor-service', '-', '+', 10).catch(() => [])) as [string, string, number, number][];
  const row = rows[0];
  return row ? { consumer: row[1], count: Number(row[3]) } : undefined;
}

describe('a poison entry (a task that never finishes and whose replica is killed)', () => {
  it('is delivered again with a growing count after each kill -9 (restart, reclaim) and dead-lettered after EXECUTOR_MAX_DELIVERIES', async () => {
    const stream = streamKey('acme', 'wf_poison');
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_poison', taskId: 'task-hang-1', taskName: 'hang', taskType: 'wait', parameters: { duration: 'PT1H' } }));

    const first = await launch('poison-1');
    await eventually('delivery 1 running in poison-1', async () => (await pendingEntry(stream))?.count === 1, 15_000);
    first.kill('SIGKILL');
    await first.exited;

    // The same replica restarted: it reads its own pending entry again at once.
    const restarted = await launch('poison-1');
    await eventually('delivery 2 running in the restarted poison-1', async () => {
      const p = await pendingEntry(stream);
      return p?.count === 2 && p.consumer === 'executor-poison-1';
    }, 15_000);
    restarted.kill('SIGKILL');
    await restarted.exited;

    // Another replica reclaims it once idle: delivery 3 is over the limit of 2.
    const other = await launch('poison-2');
    const [dlq] = await eventually('the dead letter', async () => {
      const d = await entriesOfType(client, stream, 'io.flunq.task.dlq');
      return d.length > 0 ? d : undefined;
    }, 15_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${other.output().slice(-2000)}`);
    });
    assert.match(dlq?.fields['reason'] ?? '', /^task_execution_failed:RETRIES_EXHAUSTED: event was delivered 3 times without reaching an outcome \(limit 2\)$/);
    assert.equal(dlq?.fields['attempt'], '3');
    const [completion] = await entriesOfType(client, stream, 'io.flunq.task.completed');
    const payload = JSON.parse(completion?.fields['data'] ?? '{}') as Record<string, unknown>;
    assert.equal(payload['success'], false);
    assert.equal(payload['task_id'], 'task-hang-1');
    await eventually('nothing pending', async () => (await pendingCount(client, stream)) === 0);
    assert.deepEqual(await heldLeases(client), [], 'the claim of the dead runs is released with the outcome');

    // The replica that took the poison entry goes on with other work.
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_poison', taskId: 'task-next-1' }));
    await eventually('the next task', async () => (await entriesOfType(client, stream, 'io.flunq.task.completed')).some((e) => e.fields['taskid'] === 'task-next-1'), 10_000);
    other.kill('SIGTERM');
    assert.equal(await other.exited, 0);
  });
});
