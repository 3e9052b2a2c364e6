import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';

let redis: TestRedis;
let client: Redis;
let executor: InProcessExecutor | undefined;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  redis.resume();
  await executor?.stop();
  await redis.stop();
});

async function completed(stream: string, taskId: string): Promise<boolean> {
  return (await entriesOfType(client, stream, 'io.flunq.task.completed')).some((e) => e.fields['taskid'] === taskId);
}

describe('Redis outage', () => {
  it('reports not-ready while Redis is down, then recreates groups and notifications and processes new tasks', async (t) => {
    if (!redis.owned) return t.skip('REDIS_URL given: will not restart a Redis this test did not start');
    executor = await startExecutor(redis.url);
    const ex = executor;
    const stream = streamKey('acme', 'wf_restart');
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_restart', taskId: 'task-before' }));
    await eventually('the first task', () => completed(stream, 'task-before'));

    await redis.kill();
    await eventually('not ready while Redis is down', () => !ex.source.isReady(), 5000);
    await new Promise((r) => setTimeout(r, 700));
    await redis.start(); // empty: no persistence, so streams, groups and the notification config are gone
    await eventually('ready again', () => ex.source.isReady(), 10_000);

    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_restart', taskId: 'task-after' }));
    const other = streamKey('acme', 'wf_new_after_restart');
    await xadd(client, other, requestFields({ tenant: 'acme', workflow: 'wf_new_after_restart', taskId: 'task-new' }));
    await eventually('a task on the old stream', () => completed(stream, 'task-after'), 10_000);
    await eventually('a task on a new stream', () => completed(other, 'task-new'), 10_000);
    // The executor reads its own completions back and acknowledges them in a batch a moment later.
    await eventually('nothing pending', async () => (await pendingCount(client, stream)) === 0);
    const flags = (await client.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    assert.match(flags[1] ?? '', /E/);
  });

  it('replaces a blocking connection whose read hangs past BLOCK + margin (hung server), then reads again', async (t) => {
    if (!redis.owned) return t.skip('REDIS_URL given: will not pause a Redis this test did not start');
    await executor?.stop();
    executor = await startExecutor(redis.url, { EXECUTOR_STREAM_BLOCK: '200ms', EXECUTOR_RECLAIM_INTERVAL: '60s' });
    const ex = executor;
    const stream = streamKey('acme', 'wf_hang');
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_hang', taskId: 'task-hang-0' }));
    await eventually('a first task', () => completed(stream, 'task-hang-0'));
    // Let the loop go idle (its own completion entry read and acknowledged) so that it sits in a blocking read.
    await eventually('idle', async () => (await pendingCount(client, stream)) === 0);
    await new Promise((r) => setTimeout(r, 500));
    redis.pause();
    try {
      await eventually('the watchdog fired', () => ex.logger.records.some((r) => r.message.includes('blocking read hung')), 5000).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${JSON.stringify(ex.logger.records.map((r) => r.message))}`);
      });
    } finally {
      redis.resume();
    }
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_hang', taskId: 'task-hang-1' }));
    await eventually('a task after the hang', () => completed(stream, 'task-hang-1'), 10_000);
  });
});
