/**
 * Plain acknowledgements (entries that are not task requests, mostly the executor's own
 * completions read back) are written as one XACK per stream for the deliveries acknowledged
 * together, not one XACK each; every one of them is still acknowledged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisStreamTaskSource } from '../../src/adapters/redis/redis-stream-task-source';
import { pendingCount, streamKey, xadd } from '../support/flunq';
import { closeAll, newRedisSource } from '../support/redis-source';
import { startRedis, TestRedis } from '../support/redis-server';

let redis: TestRedis;
let client: Redis;
const sources: RedisStreamTaskSource[] = [];

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  await closeAll(sources);
  await redis.stop();
});

/** XACK calls the server has run so far (INFO commandstats). */
async function xackCalls(): Promise<number> {
  const info = await client.info('commandstats');
  return Number(/^cmdstat_xack:calls=(\d+)/m.exec(info)?.[1] ?? 0);
}

describe('Redis adapter: plain acknowledgements', () => {
  it('acknowledges the outcomes read together with one XACK per stream', async (t) => {
    if (!redis.owned) return t.skip('counts commands: needs a private redis-server (REDIS_URL is set)');
    const streams = [streamKey(`ack${process.pid}`, 'wf_a'), streamKey(`ack${process.pid}`, 'wf_b')];
    for (const stream of streams) {
      await client.xgroup('CREATE', stream, 'executor-service', '0', 'MKSTREAM');
      for (let i = 0; i < 5; i++) await xadd(client, stream, { type: 'io.flunq.task.completed', taskid: `t${i}`, data: '{}' });
    }
    const source = newRedisSource(redis.url, { streams, batch: 20 });
    sources.push(source);
    const deliveries = await source.receive(20, new AbortController().signal);
    assert.equal(deliveries.length, 10);
    const before = await xackCalls();
    await Promise.all(deliveries.map((d) => source.acknowledge(d)));
    assert.equal((await xackCalls()) - before, 2, 'one XACK per stream');
    for (const stream of streams) assert.equal(await pendingCount(client, stream, 'executor-service'), 0);
  });
});
