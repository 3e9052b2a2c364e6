/**
 * The console's backlog on Redis: the audit's pass over the streams reports the busiest ones
 * (undelivered from XINFO GROUPS lag, pending) and the totals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { BacklogSnapshot } from '../../src/application/ports/backlog.port';
import { requestFields, streamKey, xadd } from '../support/flunq';
import { closeAll, newRedisSource } from '../support/redis-source';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { EntryStream } from '../../src/adapters/flunq-wire/entry-stream';

const tenant = `backlog${process.pid}`;
let redis: TestRedis;
let client: Redis;
const sources: EntryStream[] = [];

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  await closeAll(sources);
  client.disconnect();
  await redis.stop();
});

describe('the Redis backlog', () => {
  it('reports the busiest streams of each audit pass, with what was received and not settled', async () => {
    const busy = streamKey(tenant, 'wf_busy');
    const quiet = streamKey(tenant, 'wf_quiet');
    await xadd(client, quiet, requestFields({ tenant, workflow: 'wf_quiet', taskId: 'q-0' }));
    const snapshots: BacklogSnapshot[] = [];
    const source = newRedisSource(redis.url, { pattern: `tenant:${tenant}:workflow:*:events`, batch: 1, keyspaceNotifications: false, onBacklog: (s) => snapshots.push(s) });
    sources.push(source);
    // Take one delivery of the quiet stream and keep it unsettled, then fill the busy stream.
    const signal = new AbortController().signal;
    let received = await source.receive(1, signal);
    for (let i = 0; i < 200 && received.length === 0; i++) received = await source.receive(1, signal);
    assert.equal(received.length, 1);
    for (let i = 0; i < 5; i++) await xadd(client, busy, requestFields({ tenant, workflow: 'wf_busy', taskId: `b-${i}` }));
    const latest = await eventually('a pass that saw the busy stream', async () => {
      // Reads nothing of the busy stream (it is not admitted): only the audit sees it.
      await source.receive(1, signal, (stream) => stream !== busy);
      const last = snapshots.at(-1);
      return last && last.busiest.some((b) => b.location === busy) ? last : undefined;
    }, 10_000);
    assert.deepEqual(latest.busiest[0], { location: busy, undelivered: 5, pending: 0 });
    assert.deepEqual(latest.busiest.find((b) => b.location === quiet), { location: quiet, undelivered: 0, pending: 1 });
    assert.deepEqual(latest.totals, { undelivered: 5, pending: 1 });
    assert.equal(latest.locations, 2);
  });
});
