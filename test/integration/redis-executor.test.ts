import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';
import { outcomeMarkers } from '../support/task-keys';

const COMPLETED = 'io.flunq.task.completed';
const DLQ = 'io.flunq.task.dlq';

let redis: TestRedis;
let client: Redis;
let executor: InProcessExecutor | undefined;
let n = 0;
const tenant = (): string => `it${++n}`;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  await executor?.stop();
  executor = undefined;
});
after(async () => {
  await redis.stop();
});

async function completionsOf(stream: string, taskId: string): Promise<Record<string, unknown>[]> {
  return (await entriesOfType(client, stream, COMPLETED)).filter((e) => e.fields['taskid'] === taskId).map((e) => JSON.parse(e.fields['data'] ?? 'null') as Record<string, unknown>);
}

async function oneCompletion(stream: string, taskId: string, deadlineMs = 4000): Promise<Record<string, unknown>> {
  const [payload] = await eventually(`a completion of ${taskId}`, async () => {
    const c = await completionsOf(stream, taskId);
    return c.length > 0 ? c : undefined;
  }, deadlineMs);
  assert.ok(payload);
  return payload;
}

describe('Redis executor (in process, real Redis)', () => {
  it('discovers a workflow stream created after start-up within about a second (keyspace notifications)', async () => {
    executor = await startExecutor(redis.url);
    const ex = executor;
    await eventually('readiness', () => ex.source.isReady());
    const stream = streamKey(tenant(), 'wf_late');
    const sentAt = Date.now();
    await xadd(client, stream, requestFields({ tenant: `it${n}`, workflow: 'wf_late', taskId: 'task-late-1' }));
    const payload = await oneCompletion(stream, 'task-late-1');
    const took = Date.now() - sentAt;
    assert.equal(payload['success'], true);
    assert.equal(ex.source.usesNotifications, true);
    assert.ok(took < 1500, `picked up after ${took} ms`);
  });

  it('discovers new streams by polling when keyspace notifications are off', async () => {
    await client.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    executor = await startExecutor(redis.url, { EXECUTOR_KEYSPACE_NOTIFICATIONS: 'false' });
    const ex = executor;
    await eventually('readiness', () => ex.source.isReady());
    assert.equal(ex.source.usesNotifications, false);
    const t = tenant();
    const stream = streamKey(t, 'wf_poll');
    const sentAt = Date.now();
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_poll', taskId: 'task-poll-1' }));
    await oneCompletion(stream, 'task-poll-1');
    assert.ok(Date.now() - sentAt < 2500);
  });

  it('publishes the completion and acknowledges the request atomically, and records the task with a TTL', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_atomic');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_atomic', taskId: 'task-a-1', parameters: { set_data: { x: 1 } } }));
    executor = await startExecutor(redis.url);
    const payload = await oneCompletion(stream, 'task-a-1');
    assert.deepEqual((payload['output'] as Record<string, unknown>)['set_data'], { x: 1 });
    await eventually('no pending entry', async () => (await pendingCount(client, stream)) === 0);
    const markers = await outcomeMarkers(client, 'task-a-1');
    assert.equal(markers.length, 1);
    const ttl = await client.pttl(markers[0] as string);
    assert.ok(ttl > 0 && ttl <= 168 * 3600 * 1000, `marker TTL ${ttl}`);
    const [completion] = await entriesOfType(client, stream, COMPLETED);
    assert.equal(completion?.fields['id'], 'task-completed-task-a-1');
    assert.equal(completion?.fields['source'], 'executor-service');
  });

  it("processes its own pending entries at start-up (the previous run's crash)", async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_own');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_own', taskId: 'task-own-1' }));
    await client.xgroup('CREATE', stream, 'executor-service', '0', 'MKSTREAM').catch(() => undefined);
    // The same consumer (HOSTNAME=it) read the entry and died before settling it.
    await client.xreadgroup('GROUP', 'executor-service', 'executor-it', 'COUNT', 10, 'STREAMS', stream, '>');
    assert.equal(await pendingCount(client, stream), 1);
    executor = await startExecutor(redis.url, { EXECUTOR_RECLAIM_ENABLED: 'false' });
    const payload = await oneCompletion(stream, 'task-own-1');
    assert.equal(payload['attempt'], 2);
    await eventually('no pending entry', async () => (await pendingCount(client, stream)) === 0);
  });

  it("reclaims a dead consumer's idle entries and uses the delivery count as the attempt", async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_dead');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_dead', taskId: 'task-dead-1' }));
    await client.xgroup('CREATE', stream, 'executor-service', '0', 'MKSTREAM').catch(() => undefined);
    await client.xreadgroup('GROUP', 'executor-service', 'executor-other-host', 'COUNT', 10, 'STREAMS', stream, '>');
    executor = await startExecutor(redis.url, { EXECUTOR_RECLAIM_IDLE: '300ms' });
    const payload = await oneCompletion(stream, 'task-dead-1');
    assert.equal(payload['attempt'], 2);
    await eventually('no pending entry', async () => (await pendingCount(client, stream)) === 0);
    assert.ok(executor.source.reclaimedTotal >= 1);
  });

  it('does not execute a redelivered or replayed request again, not even for a new consumer group', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_idem');
    const fields = requestFields({ tenant: t, workflow: 'wf_idem', taskId: 'task-idem-1' });
    await xadd(client, stream, fields);
    executor = await startExecutor(redis.url);
    await oneCompletion(stream, 'task-idem-1');
    await xadd(client, stream, fields); // the same request again (a replay)
    await eventually('the replay acknowledged', async () => (await pendingCount(client, stream)) === 0 && (await client.xlen(stream)) === 3);
    await executor.stop();
    executor = await startExecutor(redis.url, { EXECUTOR_CONSUMER_GROUP: 'renamed-group' });
    await eventually('history read by the new group', async () => {
      const groups = (await client.call('XINFO', 'GROUPS', stream)) as unknown[][];
      const g = groups.map((row) => row.map(String)).find((row) => row[1] === 'renamed-group');
      return g !== undefined && g[g.indexOf('lag') + 1] === '0' && (await pendingCount(client, stream, 'renamed-group')) === 0;
    });
    assert.equal((await completionsOf(stream, 'task-idem-1')).length, 1);
  });

  it('dead-letters a malformed request, keeping its data byte for byte, and reports the failure', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_bad');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_bad', taskId: 'task-bad-1', rawData: '{not json' }));
    executor = await startExecutor(redis.url);
    const [dlq] = await eventually('a dead letter', async () => {
      const d = await entriesOfType(client, stream, DLQ);
      return d.length > 0 ? d : undefined;
    });
    assert.equal(dlq?.fields['data'], '{not json');
    assert.equal(dlq?.fields['id'], 'task-requested-task-bad-1');
    assert.match(dlq?.fields['reason'] ?? '', /^task_execution_failed:/);
    assert.equal(dlq?.fields['attempt'], '1');
    const payload = await oneCompletion(stream, 'task-bad-1');
    assert.equal(payload['success'], false);
    await eventually('no pending entry', async () => (await pendingCount(client, stream)) === 0);
  });

  it('dead-letters an entry larger than EXECUTOR_MAX_ENTRY_BYTES unparsed, keeping every field, reports the failure and goes on', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_large');
    const fields: Record<string, string> = { ...requestFields({ tenant: t, workflow: 'wf_large', taskId: 'task-large-1', rawData: `{"blob": "${'x'.repeat(5000)}` }), note: 'kept' };
    await xadd(client, stream, fields);
    executor = await startExecutor(redis.url, { EXECUTOR_MAX_ENTRY_BYTES: '4096' });
    const [dlq] = await eventually('a dead letter', async () => {
      const d = await entriesOfType(client, stream, DLQ);
      return d.length > 0 ? d : undefined;
    });
    const { reason, attempt, type, data_omitted_bytes: omitted, data_kept_in: keptIn, ...kept } = dlq?.fields ?? {};
    assert.match(reason ?? '', /^task_execution_failed:ENTRY_TOO_LARGE: request message is \d+ bytes, more than the limit of 4096 bytes$/);
    assert.equal(attempt, '1');
    assert.equal(type, DLQ);
    const { type: _type, data, ...original } = fields;
    assert.deepEqual(kept, original, 'every field but the data, which the request entry keeps');
    assert.equal(omitted, String(data?.length));
    const [request] = await client.xrange(stream, keptIn ?? '', keptIn ?? '');
    assert.ok(request?.[1].includes(data ?? ''));
    const payload = await oneCompletion(stream, 'task-large-1');
    assert.equal(payload['success'], false);
    assert.equal(((payload['error_details'] as Record<string, unknown>)['data'] as Record<string, unknown>)['code'], 'ENTRY_TOO_LARGE');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_large', taskId: 'task-large-2' }));
    assert.equal((await oneCompletion(stream, 'task-large-2'))['success'], true);
  });

  it('acknowledges entries that are not task requests without writing anything', async () => {
    const t = tenant();
    const stream = streamKey(t, 'wf_other');
    await xadd(client, stream, { id: 'e1', source: 'io.flunq.api', specversion: '1.0', type: 'io.flunq.execution.started', time: '2025-08-25T19:35:40Z', workflowid: 'wf_other' });
    executor = await startExecutor(redis.url);
    await eventually('the entry acknowledged', async () => {
      const groups = (await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[][];
      return groups.length > 0 && (await pendingCount(client, stream)) === 0 && String(groups[0]?.[groups[0].indexOf('lag') + 1]) === '0';
    });
    assert.equal(await client.xlen(stream), 1);
  });

  it('keeps reading when a key matching the pattern is not a stream', async () => {
    const t = tenant();
    await client.set(streamKey(t, 'wf_string'), 'not a stream');
    await client.hset(streamKey(t, 'wf_hash'), 'a', '1');
    executor = await startExecutor(redis.url);
    const ex = executor;
    await eventually('readiness', () => ex.source.isReady());
    // A key that becomes a non-stream after discovery, too.
    const flip = streamKey(t, 'wf_flip');
    await xadd(client, flip, { type: 'io.flunq.execution.started', id: 'x' });
    await eventually('flip discovered', () => ex.source.knownStreams.includes(flip));
    await client.del(flip);
    await client.set(flip, 'now a string');
    const stream = streamKey(t, 'wf_ok');
    await xadd(client, stream, requestFields({ tenant: t, workflow: 'wf_ok', taskId: 'task-ok-1' }));
    await oneCompletion(stream, 'task-ok-1');
    const stream2 = streamKey(t, 'wf_ok2');
    await xadd(client, stream2, requestFields({ tenant: t, workflow: 'wf_ok2', taskId: 'task-ok-2' }));
    await oneCompletion(stream2, 'task-ok-2');
    assert.ok(!ex.source.knownStreams.includes(streamKey(t, 'wf_string')));
  });

  it('reads explicitly configured streams (EXECUTOR_STREAMS), creating them when missing', async () => {
    const stream = 'flunq:fixed:tasks';
    executor = await startExecutor(redis.url, { EXECUTOR_STREAMS: stream });
    const ex = executor;
    await eventually('readiness', () => ex.source.isReady());
    assert.deepEqual(ex.source.knownStreams, [stream]);
    await xadd(client, stream, requestFields({ tenant: 'acme', workflow: 'wf_fixed', taskId: 'task-fixed-1' }));
    await oneCompletion(stream, 'task-fixed-1');
  });
});
