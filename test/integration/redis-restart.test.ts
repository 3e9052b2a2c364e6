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
    assert.equal(await pendingCount(client, stream), 0);
    const flags = (await client.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    assert.match(flags[1] ?? '', /E/);
  });
});
