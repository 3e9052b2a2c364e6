import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { InMemoryLogger } from '../support/in-memory-logger';
import { RedisStreamTaskSource } from '../../src/adapters/redis/redis-stream-task-source';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';
import { RedisProxy } from '../support/redis-proxy';
import { closeAll, newRedisSource } from '../support/redis-source';

const BLOCKING = 'flunq-executor-blocking';
const MIB = 1024 * 1024;

let redis: TestRedis;
let client: Redis;
let proxy: RedisProxy;
let executor: InProcessExecutor | undefined;
const sources: RedisStreamTaskSource[] = [];
let n = 0;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  await executor?.stop();
  executor = undefined;
  await closeAll(sources);
  await proxy.close();
});
after(async () => {
  await redis.stop();
});

/** Resolves once the blocking connection waits inside an XREADGROUP BLOCK on the server. */
async function blockedInRead(): Promise<void> {
  await eventually('the blocking read waiting in Redis', async () => {
    const list = (await client.call('CLIENT', 'LIST')) as string;
    return list.split('\n').some((line) => line.includes(`name=${BLOCKING}`) && /flags=\S*b/.test(line) && line.includes('cmd=xreadgroup'));
  }, 5000, 5);
}

function pendingRows(stream: string): Promise<[string, string, number, number][]> {
  return client.call('XPENDING', stream, 'executor-service', '-', '+', 100) as Promise<[string, string, number, number][]>;
}

describe('Redis blocking read: a delivered entry is never dropped', () => {
  it('a 50 MB entry arriving slowly on the blocking connection runs on its first delivery, without replacing the connection', async () => {
    proxy = new RedisProxy(redis.port);
    const url = await proxy.start();
    const tenant = `big${++n}`;
    const stream = streamKey(tenant, 'wf_big');
    executor = await startExecutor(url, { EXECUTOR_MAX_ENTRY_BYTES: String(64 * MIB), EXECUTOR_STREAM_BLOCK: '1s' });
    const ex = executor;
    // The stream becomes known (a first task), so that the executor waits on it in a blocking read.
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_big', taskId: 'task-small-1' }));
    await eventually('the first completion', async () => (await entriesOfType(client, stream, 'io.flunq.task.completed')).length === 1 && (await pendingCount(client, stream)) === 0);
    // 50 MB at 12 MiB/s: about 4 s, well past the block time (1 s) plus the watchdog margin (1 s).
    proxy.slowDown(BLOCKING, 12 * MIB);
    const fields = requestFields({ tenant, workflow: 'wf_big', taskId: 'task-big-1' });
    const data = JSON.parse(fields['data'] ?? '{}') as Record<string, unknown>;
    data['context'] = { variables: { blob: 'x'.repeat(50 * MIB) } };
    fields['data'] = JSON.stringify(data);
    await blockedInRead();
    const bigId = await xadd(client, stream, fields);
    // Only the entries after the large one are read while waiting (not 50 MB per poll).
    const completion = await eventually('the completion of the large task', async () => {
      const rows = await client.xrange(stream, `(${bigId}`, '+');
      return rows.map(([, flat]) => flat).find((flat) => flat.includes('io.flunq.task.completed') && flat.includes('task-big-1'));
    }, 30_000, 100);
    const payload = JSON.parse(completion[completion.indexOf('data') + 1] ?? '{}') as Record<string, unknown>;
    assert.equal(payload['success'], true);
    assert.equal(payload['attempt'], 1, 'delivered once');
    assert.ok(!ex.logger.records.some((r) => r.message.includes('blocking read hung')), 'the reply in progress was not taken for a hung read');
    assert.equal(proxy.connections(BLOCKING), 1, 'the blocking connection was never replaced');
  });

  it('entries taken by a read whose connection is replaced are read back at once, with their delivery counted; entries in progress keep theirs', async () => {
    proxy = new RedisProxy(redis.port);
    const url = await proxy.start();
    const stream = streamKey(`lost${++n}`, 'wf_lost');
    const logger = new InMemoryLogger();
    // No reclaiming: only the read-back can bring the lost entry back.
    const s = newRedisSource(url, { streams: [stream], blockMs: 1000, watchdogMarginMs: 200, reclaimEnabled: false, reclaimIntervalMs: 60_000 }, logger);
    sources.push(s);
    const signal = new AbortController().signal;
    await xadd(client, stream, requestFields({ tenant: 'lost', workflow: 'wf_lost', taskId: 'task-running-1' }));
    const [running] = await s.receive(1, signal);
    assert.equal(running?.fields['taskid'], 'task-running-1', 'an entry in progress (held, never settled)');

    const receiving = s.receive(4, signal);
    await blockedInRead();
    proxy.freeze(BLOCKING);
    const sentAt = Date.now();
    const lostId = await xadd(client, stream, requestFields({ tenant: 'lost', workflow: 'wf_lost', taskId: 'task-lost-1' }));
    const got = await receiving;
    const tookMs = Date.now() - sentAt;
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.message.includes('blocking read hung')), 'the connection was replaced');
    assert.deepEqual(
      got.map((d) => [d.entryId, d.deliveryCount]),
      [[lostId, 2]],
      'the lost entry, with the history read counted as a delivery',
    );
    assert.ok(tookMs < 3000, `read back after ${tookMs} ms`);
    assert.deepEqual(
      (await pendingRows(stream)).map(([id, consumer, , count]) => [id, consumer, Number(count)]),
      [
        [running?.entryId, 'executor-test', 1],
        [lostId, 'executor-test', 2],
      ],
      'the entry in progress keeps its delivery count',
    );
  });

  it('entries taken by a read whose connection dropped are read back on the next receive', async () => {
    proxy = new RedisProxy(redis.port);
    const url = await proxy.start();
    const stream = streamKey(`drop${++n}`, 'wf_drop');
    const s = newRedisSource(url, { streams: [stream], blockMs: 1000, reclaimEnabled: false, reclaimIntervalMs: 60_000 });
    sources.push(s);
    const signal = new AbortController().signal;
    assert.deepEqual(await s.receive(1, signal), []);
    const receiving = s.receive(4, signal);
    await blockedInRead();
    proxy.freeze(BLOCKING);
    const lostId = await xadd(client, stream, requestFields({ tenant: 'drop', workflow: 'wf_drop', taskId: 'task-drop-1' }));
    await eventually('the entry delivered to the frozen read', async () => (await pendingCount(client, stream)) === 1);
    proxy.drop(BLOCKING);
    await assert.rejects(receiving);
    const got = await eventually('the entry read back', async () => {
      const d = await s.receive(4, signal);
      return d.length > 0 ? d : undefined;
    });
    assert.deepEqual(
      got.map((d) => [d.entryId, d.deliveryCount]),
      [[lostId, 2]],
    );
  });
});
