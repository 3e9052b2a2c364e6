/**
 * A rolling upgrade of the task key layout (REDIS_TASK_KEYS, docs/operations.md): replicas of the
 * earlier release (its claim and settle scripts, kept in test/fixtures/redis-scripts-earlier) and
 * replicas on `transition` see each other's leases and outcomes, so no task runs twice or is
 * acknowledged unrun while both kinds serve the same streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { Delivery, EntryStream } from '../../src/adapters/flunq-wire/entry-stream';
import { runningLeaseKey, settledMarkerKey } from '../../src/adapters/redis/stream-keys';
import { TaskKeyLayout } from '../../src/adapters/redis/task-keys';
import { requestFields, streamKey } from '../support/flunq';
import { closeAll, newRedisSource } from '../support/redis-source';
import { startRedis, TestRedis } from '../support/redis-server';

const EARLIER = path.join(__dirname, '../fixtures/redis-scripts-earlier');
const CLAIM = readFileSync(path.join(EARLIER, 'claim.lua'), 'utf8');
const SETTLE = readFileSync(path.join(EARLIER, 'settle.lua'), 'utf8');
const GROUP = 'upgrade';
const run = `${process.pid}-${Date.now()}`;
let n = 0;
let redis: TestRedis;
let client: Redis;
const sources: EntryStream[] = [];

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(() => closeAll(sources));
after(() => redis.stop());

/** A replica of the earlier release: its claim and settle scripts, called as it called them. */
const earlier = {
  claim: async (stream: string, taskId: string, holder: string): Promise<number> =>
    ((await client.eval(CLAIM, 2, runningLeaseKey(stream, taskId), settledMarkerKey(stream, taskId), 60_000, holder)) as number[])[0] as number,
  settle: async (stream: string, entryId: string, taskId: string, holder: string): Promise<number> =>
    (await client.eval(SETTLE, 3, stream, settledMarkerKey(stream, taskId), runningLeaseKey(stream, taskId), GROUP, entryId, 60_000, 1, 2, 'type', 'io.flunq.task.completed', holder)) as number,
};

async function setUp(layout: TaskKeyLayout): Promise<{ stream: string; source: EntryStream }> {
  const stream = streamKey(`upgrade-${run}-${++n}`, 'wf_upgrade');
  await client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const source = newRedisSource(redis.url, { group: GROUP, consumer: 'new', streams: [stream], taskKeys: layout });
  sources.push(source);
  return { stream, source };
}

async function append(stream: string, taskId: string): Promise<string> {
  return (await client.xadd(stream, '*', ...Object.entries(requestFields({ tenant: 'upgrade', workflow: 'wf_upgrade', taskId })).flat())) as string;
}

async function receiveOne(source: EntryStream): Promise<Delivery> {
  for (let i = 0; i < 20; i++) {
    const [d] = await source.receive(1, AbortSignal.timeout(300));
    if (d) return d;
  }
  throw new Error('nothing delivered');
}

/** An entry read by the earlier replica (pending for it). */
async function readByEarlier(stream: string): Promise<string> {
  const reply = (await client.xreadgroup('GROUP', GROUP, 'earlier', 'COUNT', 1, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
  const id = reply[0]?.[1][0]?.[0];
  assert.ok(id);
  return id;
}

describe('Redis task keys: a rolling upgrade from the earlier layout', () => {
  it('a transition replica\'s lease and outcome are seen by an earlier replica', async () => {
    const { stream, source } = await setUp('transition');
    await append(stream, 't-new');
    const d = await receiveOne(source);
    assert.equal(await source.claimTask(d, 't-new'), 'claimed');
    assert.equal(await earlier.claim(stream, 't-new', 'another-entry'), 0, 'the earlier replica finds the task running');
    await source.settle(d, [{ type: 'io.flunq.task.completed', id: 'task-completed-t-new' }], 't-new');
    assert.equal(await earlier.claim(stream, 't-new', 'another-entry'), 2, 'and then settled');
  });

  it('an earlier replica\'s lease and outcome are seen by a transition replica', async () => {
    const { stream, source } = await setUp('transition');
    const first = await append(stream, 't-old');
    assert.equal(await readByEarlier(stream), first);
    assert.equal(await earlier.claim(stream, 't-old', 'earlier-holder'), 1);
    await append(stream, 't-old');
    const copy = await receiveOne(source);
    assert.equal(await source.claimTask(copy, 't-old'), 'running', 'the copy waits for the earlier replica');
    assert.equal(await earlier.settle(stream, first, 't-old', 'earlier-holder'), 1);
    assert.equal(await source.claimTask(copy, 't-old'), 'settled');
  });

  it('without the transition, a single-key replica does not see the earlier layout (why the upgrade goes through it)', async () => {
    const { stream, source } = await setUp('single');
    const first = await append(stream, 't-gap');
    await readByEarlier(stream);
    assert.equal(await earlier.claim(stream, 't-gap', 'earlier-holder'), 1);
    await append(stream, 't-gap');
    const copy = await receiveOne(source);
    assert.equal(await source.claimTask(copy, 't-gap'), 'claimed');
    assert.ok(first);
  });
});
