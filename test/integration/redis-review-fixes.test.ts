import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { Delivery } from '../../src/adapters/flunq-wire/entry-stream';
import { InMemoryLogger } from '../support/in-memory-logger';
import { RedisStreamTaskSource } from '../../src/adapters/redis/redis-stream-task-source';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';
import { closeAll, newRedisSource } from '../support/redis-source';
import { outcomeMarkers } from '../support/task-keys';

const COMPLETED = 'io.flunq.task.completed';
const DLQ = 'io.flunq.task.dlq';

let redis: TestRedis;
let client: Redis;
let executor: InProcessExecutor | undefined;
const sources: RedisStreamTaskSource[] = [];
let n = 0;
const tenant = (): string => `rf${++n}`;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  await executor?.stop();
  executor = undefined;
  await closeAll(sources);
});
after(async () => {
  await redis.stop();
});

/** A completion as the Go executor writes it (source executor-service). */
function goCompletion(t: string, workflow: string, taskId: string): Record<string, string> {
  return {
    id: `task-completed-${taskId}`,
    source: 'executor-service',
    specversion: '1.0',
    type: COMPLETED,
    time: '2025-08-25T19:35:41Z',
    workflowid: workflow,
    executionid: 'ex_9a2e51c0-77b1-40',
    taskid: taskId,
    tenantid: t,
    data: JSON.stringify({ task_id: taskId, task_name: 'prepare', success: true, output: {}, duration_ms: 3, executed_at: '2025-08-25T19:35:41Z' }),
  };
}

async function groupSettled(stream: string, group: string): Promise<boolean> {
  const groups = (await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[][];
  const g = groups.map((row) => row.map(String)).find((row) => row[1] === group);
  return g !== undefined && g[g.indexOf('lag') + 1] === '0' && (await pendingCount(client, stream, group)) === 0;
}

function source(overrides: Parameters<typeof newRedisSource>[1] = {}, logger = new InMemoryLogger()): RedisStreamTaskSource {
  const s = newRedisSource(redis.url, overrides, logger);
  sources.push(s);
  return s;
}

describe('Redis adapter: review fixes', () => {
  it('a new consumer group does not re-run history completed by another executor (no marker)', async () => {
    const t = tenant();
    const done = streamKey(t, 'wf_hist');
    const fresh = streamKey(t, 'wf_hist_new');
    // History: a request and its completion by the Go executor, group created at `$` (no markers anywhere).
    await xadd(client, done, requestFields({ tenant: t, workflow: 'wf_hist', taskId: 'task-hist-1' }));
    await xadd(client, done, goCompletion(t, 'wf_hist', 'task-hist-1'));
    // A dead letter of the Go executor is an outcome too: its request must not run again either.
    await xadd(client, done, requestFields({ tenant: t, workflow: 'wf_hist', taskId: 'task-hist-2', rawData: '{bad' }));
    await xadd(client, done, { ...requestFields({ tenant: t, workflow: 'wf_hist', taskId: 'task-hist-2', rawData: '{bad' }), type: DLQ });
    await client.xgroup('CREATE', done, 'executor-service', '$');
    // A request nobody ran is still executed by the new group.
    await xadd(client, fresh, requestFields({ tenant: t, workflow: 'wf_hist_new', taskId: 'task-hist-3' }));
    executor = await startExecutor(redis.url, { EXECUTOR_CONSUMER_GROUP: 'executor-v2' });
    await eventually('history read by the new group', async () => (await groupSettled(done, 'executor-v2')) && (await groupSettled(fresh, 'executor-v2')));
    const completions = await entriesOfType(client, done, COMPLETED);
    assert.equal(completions.length, 1, 'no second completion for task-hist-1');
    assert.equal((await entriesOfType(client, done, DLQ)).length, 1, 'no second dead letter for task-hist-2');
    assert.equal((await entriesOfType(client, fresh, COMPLETED)).length, 1, 'the unprocessed request ran');
    // The history scan leaves nothing behind but markers.
    assert.deepEqual(await client.keys('flunq:executor:history:*'), []);
  });

  it('a new group does not re-run history whose markers expired (EXECUTOR_SETTLED_TTL)', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_ttl');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_ttl', taskId: 'task-ttl-1' }));
    executor = await startExecutor(redis.url, { EXECUTOR_SETTLED_TTL: '1ms' });
    await eventually('first completion', async () => (await entriesOfType(client, stream, COMPLETED)).length === 1 && (await pendingCount(client, stream)) === 0);
    await eventually('marker expired', async () => (await outcomeMarkers(client, 'task-ttl-1')).length === 0);
    await executor.stop();
    executor = await startExecutor(redis.url, { EXECUTOR_CONSUMER_GROUP: 'executor-v3' });
    await eventually('history read by the new group', () => groupSettled(stream, 'executor-v3'));
    assert.equal((await entriesOfType(client, stream, COMPLETED)).length, 1);
  });

  it('a history scan interrupted by a crash (group created, scan flag still set) is done again', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_crash');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_crash', taskId: 'task-crash-1' }));
    await xadd(client, stream, goCompletion(t, 'wf_crash', 'task-crash-1'));
    await client.xgroup('CREATE', stream, 'executor-v4', '0');
    await client.set(`flunq:executor:history:{${stream}}:executor-v4`, '1');
    executor = await startExecutor(redis.url, { EXECUTOR_CONSUMER_GROUP: 'executor-v4' });
    await eventually('history read by the group', () => groupSettled(stream, 'executor-v4'));
    assert.equal((await entriesOfType(client, stream, COMPLETED)).length, 1);
    assert.equal(await client.exists(`flunq:executor:history:{${stream}}:executor-v4`), 0);
  });

  it('receive(max) never returns more than max, even when a blocking read returns entries of many streams', async () => {
    const t = tenant();
    const streams = [1, 2, 3, 4, 5].map((i) => streamKey(t, `wf_max_${i}`));
    // No notifications and no audit due: the entries below are not known to be there, so the next
    // receive() issues a blocking XREADGROUP over all five streams, which returns at once with one
    // entry per stream.
    const s = source({ streams, keyspaceNotifications: false, blockMs: 100, reclaimEnabled: false, reclaimIntervalMs: 60_000 });
    assert.deepEqual(await s.receive(5, new AbortController().signal), []); // set up: groups created, nothing to read
    for (const [i, stream] of streams.entries()) await xadd(client, stream, requestFields({ tenant: t, workflow: `wf_max_${i + 1}`, taskId: `task-max-${i + 1}` }));
    const pending = s.receive(1, new AbortController().signal);
    const first = await pending;
    assert.equal(first.length, 1, `receive(1) returned ${first.length} deliveries`);
    const rest: Delivery[] = [];
    for (let i = 0; i < 4; i++) {
      const got = await s.receive(1, new AbortController().signal);
      assert.ok(got.length <= 1);
      rest.push(...got);
    }
    const ids = new Set([...first, ...rest].map((d) => d.fields['taskid']));
    assert.equal(ids.size, 5, 'every entry is handed out exactly once');
  });

  it('a carried-over delivery that another consumer reclaimed meanwhile is not handed out', async () => {
    const t = tenant();
    const streams = [1, 2, 3].map((i) => streamKey(t, `wf_carry_${i}`));
    const logger = new InMemoryLogger();
    // reclaimIdleMs 0: every carried delivery is checked (and renewed) before it is handed out.
    const s = source({ streams, keyspaceNotifications: false, blockMs: 100, reclaimEnabled: false, reclaimIntervalMs: 60_000, reclaimIdleMs: 0 }, logger);
    assert.deepEqual(await s.receive(3, new AbortController().signal), []);
    for (const [i, stream] of streams.entries()) await xadd(client, stream, requestFields({ tenant: t, workflow: `wf_carry_${i + 1}`, taskId: `task-carry-${i + 1}` }));
    const [first] = await s.receive(1, new AbortController().signal);
    assert.ok(first);
    // The two others wait in the carry-over queue; one of them is reclaimed by another consumer.
    const other = streams.find((stream) => stream !== first.stream) as string;
    const [[otherId]] = (await client.xrange(other, '-', '+')) as [[string, string[]]];
    await client.call('XCLAIM', other, 'executor-service', 'executor-other', 0, otherId, 'JUSTID');
    const next = await s.receive(2, new AbortController().signal);
    assert.equal(next.length, 1);
    assert.notEqual(next[0]?.stream, other);
    assert.ok(logger.records.some((e) => e.level === 'warn' && /another consumer/.test(e.message)));
  });

  it('keepAlive does not take back an entry that another consumer has reclaimed, and reports it', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_keep');
    const logger = new InMemoryLogger();
    const s = source({ streams: [stream], reclaimEnabled: false }, logger);
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_keep', taskId: 'task-keep-1' }));
    const [delivery] = await s.receive(1, new AbortController().signal);
    assert.ok(delivery);
    // Still ours: the keep-alive renews it.
    assert.equal(await s.keepAlive(delivery), true);
    // Another consumer reclaims it (it was idle too long, from its point of view).
    await client.call('XCLAIM', stream, 'executor-service', 'executor-other', 0, delivery.entryId, 'JUSTID');
    assert.equal(await s.keepAlive(delivery), false);
    const rows = (await client.call('XPENDING', stream, 'executor-service', '-', '+', 10)) as [string, string, number, number][];
    assert.equal(rows[0]?.[1], 'executor-other', 'the entry stays with the consumer that reclaimed it');
    assert.ok(logger.records.some((e) => e.level === 'warn' && /another consumer/.test(e.message)));
  });

  it('dead-letters and acknowledges a request with 10,000 fields', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_wide');
    const fields = requestFields({ tenant: t, workflow: 'wf_wide', taskId: 'task-wide-1', rawData: '{not json' });
    for (let i = 0; i < 10_000; i++) fields[`extra${i}`] = `v${i}`;
    await xadd(client, stream, fields);
    executor = await startExecutor(redis.url);
    const [dlq] = await eventually('a dead letter', async () => {
      const d = await entriesOfType(client, stream, DLQ);
      return d.length > 0 ? d : undefined;
    }, 8000);
    assert.equal(dlq?.fields['data'], '{not json');
    assert.equal(dlq?.fields['id'], 'task-requested-task-wide-1');
    assert.equal(dlq?.fields['taskid'], 'task-wide-1');
    assert.match(dlq?.fields['reason'] ?? '', /^task_execution_failed:/);
    assert.equal(dlq?.fields['attempt'], '1');
    assert.ok(Object.keys(dlq?.fields ?? {}).length <= 3000);
    assert.equal(Number(dlq?.fields['droppedfields']) + Object.keys(dlq?.fields ?? {}).length - 1, Object.keys(fields).length + 2);
    await eventually('no pending entry', async () => (await pendingCount(client, stream)) === 0, 8000);
    assert.equal((await entriesOfType(client, stream, COMPLETED)).length, 1);
  });
});
