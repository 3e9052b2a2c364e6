/**
 * The adapter's Lua scripts, called directly against a real Redis: what each returns and writes in
 * each case the stream source relies on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineScripts, ScriptedRedis } from '../../src/adapters/redis/lua-scripts';
import { startRedis, TestRedis } from '../support/redis-server';

const GROUP = 'executor-service';
const run = `lua-${process.pid}-${Date.now()}`;
let n = 0;
let redis: TestRedis;
let client: ScriptedRedis;

before(async () => {
  redis = await startRedis();
  client = defineScripts(redis.client());
});
after(async () => {
  await redis.stop();
});

/** A stream with a group and one request delivered to `consumer` (pending). */
async function pendingRequest(consumer = 'c1'): Promise<{ stream: string; id: string }> {
  const stream = `{${run}-${++n}}:events`;
  await client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const id = (await client.xadd(stream, '*', 'type', 'io.flunq.task.requested', 'taskid', 't1')) as string;
  await client.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 1, 'STREAMS', stream, '>');
  return { stream, id };
}

async function pendingIds(stream: string): Promise<string[]> {
  const rows = (await client.xpending(stream, GROUP, '-', '+', 10)) as [string, string, number, number][];
  return rows.map((r) => r[0]);
}

/** settle.lua arguments for one entry `{ type: 'io.flunq.task.completed' }`, with `markers` marker keys. */
function settleArgs(id: string, holder?: string, markers = holder ? 1 : 0): (string | number)[] {
  return [GROUP, id, 60_000, markers, 1, 2, 'type', 'io.flunq.task.completed', ...(holder ? [holder] : [])];
}

describe('settle.lua', () => {
  it('appends the outcome, acknowledges, sets the marker with its TTL and releases only the leases of its holder (1)', async () => {
    const { stream, id } = await pendingRequest();
    const [marker, own, foreign] = [`${stream}:marker`, `${stream}:lease-own`, `${stream}:lease-foreign`];
    await client.set(own, 'me');
    await client.set(foreign, 'someone-else');
    assert.equal(await client.flunqSettle(4, [stream, marker, own, foreign], settleArgs(id, 'me')), 1);
    assert.equal(await client.xlen(stream), 2);
    assert.deepEqual(await pendingIds(stream), []);
    assert.ok((await client.pttl(marker)) > 59_000);
    assert.equal(await client.exists(own), 0);
    assert.equal(await client.get(foreign), 'someone-else');
  });

  it('only acknowledges when the task already has an outcome (0), and does nothing once settled (-1)', async () => {
    const { stream, id } = await pendingRequest();
    const marker = `${stream}:marker`;
    await client.set(marker, '1');
    assert.equal(await client.flunqSettle(2, [stream, marker], settleArgs(id, 'me')), 0);
    assert.equal(await client.xlen(stream), 1, 'nothing appended');
    assert.deepEqual(await pendingIds(stream), []);
    assert.equal(await client.flunqSettle(1, [stream], settleArgs(id)), -1);
    assert.equal(await client.xlen(stream), 1);
  });

  it('with one key per task, overwrites its own lease with the outcome marker, and another holder\'s too (1)', async () => {
    const { stream, id } = await pendingRequest();
    const task = `${stream}:task`;
    await client.set(task, 'me', 'PX', 1000);
    assert.equal(await client.flunqSettle(2, [stream, task], settleArgs(id, 'me')), 1);
    assert.equal(await client.get(task), '1');
    assert.ok((await client.pttl(task)) > 59_000, 'the marker\'s TTL, not the lease\'s');
    const second = await pendingRequest();
    const other = `${second.stream}:task`;
    await client.set(other, 'someone-else');
    // The lease expired and another entry took the task over: the first outcome wins, and that entry's settle finds it.
    assert.equal(await client.flunqSettle(2, [second.stream, other], settleArgs(second.id, 'me')), 1);
    assert.equal(await client.get(other), '1');
  });

  it('reads every marker key of the transition layout: a `1` in any of them means the outcome exists (0)', async () => {
    const { stream, id } = await pendingRequest();
    const [task, marker, lease] = [`${stream}:task`, `${stream}:marker`, `${stream}:lease`];
    await client.set(task, 'me');
    await client.set(lease, 'me');
    await client.set(marker, '1');
    assert.equal(await client.flunqSettle(4, [stream, task, marker, lease], settleArgs(id, 'me', 2)), 0);
    assert.equal(await client.xlen(stream), 1, 'nothing appended');
    assert.equal(await client.exists(task), 0, 'its lease released');
    assert.equal(await client.exists(lease), 0, 'its lease released');
    const next = await pendingRequest();
    const keys = [`${next.stream}:task`, `${next.stream}:marker`, `${next.stream}:lease`];
    await client.set(keys[2]!, 'me');
    assert.equal(await client.flunqSettle(4, [next.stream, ...keys], settleArgs(next.id, 'me', 2)), 1);
    assert.deepEqual([await client.get(keys[0]!), await client.get(keys[1]!), await client.exists(keys[2]!)], ['1', '1', 0], 'both markers set, the lease released');
  });

  it('refuses malformed entries before writing anything: the request stays pending, nothing is appended', async () => {
    const { stream, id } = await pendingRequest();
    const marker = `${stream}:marker`;
    // An odd number of field strings, then a count running past the arguments.
    const malformed = [
      [GROUP, id, 60_000, 1, 1, 3, 'type', 'io.flunq.task.completed', 'orphan'], // an odd number of field strings
      [GROUP, id, 60_000, 1, 1, 4, 'type', 'io.flunq.task.completed'], // a count running past the arguments
      [GROUP, id, 60_000, 2, 1, 2, 'type', 'io.flunq.task.completed', 'me'], // more marker keys than keys
      [GROUP, id, 'soon', 1, 1, 2, 'type', 'io.flunq.task.completed', 'me'], // a TTL that is not a number
      [GROUP, id, 60_000, 'nan', 1, 2, 'type', 'io.flunq.task.completed', 'me'], // a marker count that is not a number
      [GROUP, id, 60_000, 1, 1, 2, 'type', 'io.flunq.task.completed'], // no holder after the entries
      [GROUP, id, 60_000, 1, 1.5, 2, 'type', 'io.flunq.task.completed', 'me'], // a fractional entry count
    ];
    for (const args of malformed) {
      await assert.rejects(client.flunqSettle(2, [stream, marker], args), /malformed settle arguments/);
      assert.deepEqual(await pendingIds(stream), [id], 'still pending');
      assert.equal(await client.xlen(stream), 1, 'nothing appended');
      assert.equal(await client.exists(marker), 0, 'no marker');
    }
  });
});

describe('claim.lua', () => {
  it('answers per task: taken or renewed by its holder (1), held by another (0), already settled (2)', async () => {
    const k = `{${run}-${++n}}`;
    const codes = await client.flunqClaim(6, `${k}:lease-a`, `${k}:marker-a`, `${k}:lease-b`, `${k}:marker-b`, `${k}:lease-c`, `${k}:marker-c`, 60_000, 2, 1, 'h1', 'h1', 'h1');
    assert.deepEqual(codes, [1, 1, 1]);
    assert.equal(await client.exists(`${k}:marker-a`), 0, 'only the lease keys are written');
    await client.set(`${k}:marker-c`, '1');
    assert.deepEqual(await client.flunqClaim(6, `${k}:lease-a`, `${k}:marker-a`, `${k}:lease-b`, `${k}:marker-b`, `${k}:lease-c`, `${k}:marker-c`, 60_000, 2, 1, 'h1', 'h2', 'h2'), [1, 0, 2]);
    assert.equal(await client.get(`${k}:lease-b`), 'h1', 'another holder does not take a running lease');
  });

  it('refuses malformed counts before writing anything (a zero count would otherwise loop for ever)', async () => {
    const k = `{${run}-${++n}}`;
    for (const [perTask, leased, holders] of [[0, 0, ['h1']], [0, 1, ['h1']], [2, 3, ['h1']], [1, 1, []], [1, 1, ['h1', 'h2']], [2, 1, ['h1']], ['x', 1, ['h1']]] as const) {
      await assert.rejects(client.flunqClaim(1, `${k}:task`, 60_000, perTask, leased, ...holders), /malformed claim arguments/, `${String(perTask)} ${leased} ${holders.length}`);
    }
    assert.equal(await client.exists(`${k}:task`), 0, 'nothing written');
  });

  it('with one key per task: the holder while it runs, `1` once settled', async () => {
    const k = `{${run}-${++n}}`;
    assert.deepEqual(await client.flunqClaim(2, `${k}:task-a`, `${k}:task-b`, 60_000, 1, 1, 'h1', 'h1'), [1, 1]);
    assert.equal(await client.get(`${k}:task-a`), 'h1');
    await client.set(`${k}:task-b`, '1');
    assert.deepEqual(await client.flunqClaim(2, `${k}:task-a`, `${k}:task-b`, 60_000, 1, 1, 'h2', 'h2'), [0, 2]);
    assert.equal(await client.get(`${k}:task-b`), '1', 'a settled task is not leased again');
  });

  it('in the transition layout, a lease or marker in either layout counts, and the lease is written to both', async () => {
    const k = `{${run}-${++n}}`;
    const keys = (t: string): string[] => [`${k}:task-${t}`, `${k}:lease-${t}`, `${k}:marker-${t}`];
    await client.set(`${k}:lease-b`, 'h-old');
    await client.set(`${k}:marker-c`, '1');
    await client.set(`${k}:task-d`, '1');
    assert.deepEqual(await client.flunqClaim(12, ...keys('a'), ...keys('b'), ...keys('c'), ...keys('d'), 60_000, 3, 2, 'h1', 'h1', 'h1', 'h1'), [1, 0, 2, 2]);
    assert.deepEqual([await client.get(`${k}:task-a`), await client.get(`${k}:lease-a`), await client.get(`${k}:marker-a`)], ['h1', 'h1', null]);
  });
});

describe('keep-alive.lua', () => {
  it('renews while this consumer owns the entry (1), refuses once another consumer has it (-1), and reports it settled (0)', async () => {
    const { stream, id } = await pendingRequest('c1');
    const lease = `${stream}:lease`;
    await client.set(lease, 'me', 'PX', 1000);
    assert.equal(await client.flunqKeepAlive(2, stream, lease, GROUP, 'c1', id, 'me', 60_000), 1);
    assert.ok((await client.pttl(lease)) > 59_000, 'the lease is renewed');
    await client.xclaim(stream, GROUP, 'c2', 0, id);
    assert.equal(await client.flunqKeepAlive(1, stream, GROUP, 'c1', id), -1);
    const owner = ((await client.xpending(stream, GROUP, '-', '+', 1)) as [string, string][])[0]?.[1];
    assert.equal(owner, 'c2', 'not stolen back');
    await client.xack(stream, GROUP, id);
    assert.equal(await client.flunqKeepAlive(1, stream, GROUP, 'c1', id), 0);
  });
});

describe('create-group.lua', () => {
  it('creates the group and flags the history scan (1), knows an existing group (0) or an unfinished scan (2), and refuses other keys', async () => {
    const stream = `{${run}-${++n}}:events`;
    const flag = `{${run}-${n}}:history`;
    assert.equal(await client.flunqCreateGroup(stream, flag, GROUP), 1);
    assert.equal(await client.get(flag), '1');
    assert.equal(await client.flunqCreateGroup(stream, flag, GROUP), 2, 'the scan was not finished');
    await client.del(flag);
    assert.equal(await client.flunqCreateGroup(stream, flag, GROUP), 0);
    const notAStream = `{${run}-${++n}}:string`;
    await client.set(notAStream, 'x');
    await assert.rejects(client.flunqCreateGroup(notAStream, `${notAStream}:history`, GROUP), /WRONGTYPE/);
  });
});

describe('release-ack.lua', () => {
  it('acknowledges without appending and releases only the leases this entry holds', async () => {
    const { stream, id } = await pendingRequest();
    await client.set(`${stream}:own`, 'me');
    await client.set(`${stream}:foreign`, 'other');
    assert.equal(await client.flunqReleaseAck(3, stream, `${stream}:own`, `${stream}:foreign`, GROUP, id, 'me'), 1);
    assert.deepEqual(await pendingIds(stream), []);
    assert.equal(await client.xlen(stream), 1);
    assert.equal(await client.exists(`${stream}:own`), 0);
    assert.equal(await client.get(`${stream}:foreign`), 'other');
  });
});
