/**
 * The discovery and history-scan parts of the Redis stream source, composed without the facade
 * over a real Redis: which streams end up read, when, and with which idempotency markers.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { InMemoryLogger } from '../support/in-memory-logger';
import { SourceConnections } from '../../src/adapters/redis/connections';
import { Discovery } from '../../src/adapters/redis/discovery';
import { HistoryScan } from '../../src/adapters/redis/history-scan';
import { historyScanKey, settledMarkerKey, taskStateKey } from '../../src/adapters/redis/stream-keys';
import { TaskKeyLayout } from '../../src/adapters/redis/task-keys';
import { StreamSet } from '../../src/adapters/redis/stream-set';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { requestFields, streamKey, xadd } from '../support/flunq';
import { eventually, startRedis, TestRedis } from '../support/redis-server';

const run = `disc${process.pid}x${Date.now()}`;
const GROUP = `group-${run}`;
let redis: TestRedis;
let client: Redis;
let n = 0;
const open: SourceConnections[] = [];

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});
after(async () => {
  await redis.stop();
});

/** Stream set, connections, discovery and history scan for this run's streams (a tenant per test). */
function makeSut(options: { streams?: string[]; notifications?: boolean; taskKeys?: TaskKeyLayout } = {}) {
  const tenant = `${run}-${++n}`;
  const clock = new SystemClock();
  const logger = new InMemoryLogger();
  const streams = new StreamSet(clock);
  const connections = new SourceConnections({ url: redis.url, blockMs: 200, keyspaceNotifications: options.notifications ?? false }, clock, logger);
  open.push(connections);
  const discovery = new Discovery({ group: GROUP, streams: options.streams ?? [], pattern: `tenant:${tenant}:workflow:*:events`, blockMs: 200, rescanIntervalMs: 60_000 }, connections, streams, clock, logger);
  const history = new HistoryScan({ group: GROUP, settledTtlMs: 0, ...(options.taskKeys ? { taskKeys: options.taskKeys } : {}) }, connections, streams, discovery, logger);
  return { tenant, streams, discovery, history };
}

function completion(tenant: string, workflow: string, taskId: string): Record<string, string> {
  return { id: `task-completed-${taskId}`, type: 'io.flunq.task.completed', taskid: taskId, tenantid: tenant, workflowid: workflow, data: '{}' };
}

describe('Redis discovery and history scan', () => {
  it('creates the group of an existing stream, scans its history for outcomes, and only then reads it', async () => {
    const { tenant, streams, discovery, history } = makeSut();
    const stream = streamKey(tenant, 'wf_old');
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_old', taskId: 'done-1' }));
    await xadd(client, stream, completion(tenant, 'wf_old', 'done-1'));
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_old', taskId: 'open-1' }));

    await discovery.setUp();
    assert.equal(streams.isKnown(stream), false, 'not read before its history is scanned');
    assert.equal(streams.isHeldForHistory(stream), true);
    assert.equal(await client.exists(historyScanKey(stream, GROUP)), 1, 'a crash now would scan again');

    await history.scan();
    assert.equal(streams.isKnown(stream), true);
    assert.deepEqual(streams.takeDirty(10), [stream]);
    assert.equal(await client.get(settledMarkerKey(stream, 'done-1')), '1');
    assert.equal(await client.exists(settledMarkerKey(stream, 'open-1')), 0);
    assert.equal(await client.exists(taskStateKey(stream, 'done-1')), 0, 'the earlier layout by default');
    assert.equal(await client.exists(historyScanKey(stream, GROUP)), 0);
  });

  it('marks outcomes found in the history in the task\'s one key (REDIS_TASK_KEYS=single)', async () => {
    const { tenant, discovery, history } = makeSut({ taskKeys: 'single' });
    const stream = streamKey(tenant, 'wf_old');
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_old', taskId: 'done-3' }));
    await xadd(client, stream, completion(tenant, 'wf_old', 'done-3'));
    await discovery.setUp();
    await history.scan();
    assert.deepEqual([await client.get(taskStateKey(stream, 'done-3')), await client.exists(settledMarkerKey(stream, 'done-3'))], ['1', 0]);
  });

  it('marks outcomes found in the history in both layouts during a transition (REDIS_TASK_KEYS=transition)', async () => {
    const { tenant, discovery, history } = makeSut({ taskKeys: 'transition' });
    const stream = streamKey(tenant, 'wf_old');
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_old', taskId: 'done-2' }));
    await xadd(client, stream, completion(tenant, 'wf_old', 'done-2'));
    await discovery.setUp();
    await history.scan();
    assert.deepEqual([await client.get(taskStateKey(stream, 'done-2')), await client.get(settledMarkerKey(stream, 'done-2'))], ['1', '1']);
  });

  it('reads a stream whose group exists at once, and scans again one whose history scan a crash interrupted', async () => {
    const { tenant, streams, discovery } = makeSut();
    const ready = streamKey(tenant, 'wf_ready');
    const interrupted = streamKey(tenant, 'wf_interrupted');
    await client.xgroup('CREATE', ready, GROUP, '0', 'MKSTREAM');
    await client.xgroup('CREATE', interrupted, GROUP, '0', 'MKSTREAM');
    await client.set(historyScanKey(interrupted, GROUP), '1');

    await discovery.setUp();
    assert.equal(streams.isKnown(ready), true);
    assert.equal(streams.isHeldForHistory(interrupted), true);
  });

  it('learns a new stream from a keyspace notification and creates its group on the next step', async () => {
    const { tenant, streams, discovery, history } = makeSut({ notifications: true });
    await discovery.setUp();
    await eventually('notifications subscribed', () => discovery.notificationsActive);
    const stream = streamKey(tenant, 'wf_new');
    await xadd(client, stream, requestFields({ tenant, workflow: 'wf_new', taskId: 'n1' }));
    await eventually('the notification', () => streams.hasWork());

    await discovery.step();
    assert.equal(streams.isHeldForHistory(stream), true);
    await history.scan();
    assert.equal(streams.isKnown(stream), true);
  });

  it('stops reading a discovered stream that is gone, and sets a configured one up again instead', async () => {
    const discovered = makeSut();
    const stream = streamKey(discovered.tenant, 'wf_gone');
    await client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    await discovered.discovery.setUp();
    assert.equal(discovered.streams.isKnown(stream), true);
    await client.del(stream);
    await discovered.discovery.recheck([stream], new Error('NOGROUP'));
    assert.equal(discovered.streams.isKnown(stream), false);

    const configuredStream = `{${run}}:configured`;
    const configured = makeSut({ streams: [configuredStream] });
    await configured.discovery.setUp();
    assert.equal(configured.streams.isHeldForHistory(configuredStream), true, 'MKSTREAM: the group is created with the stream');
    configured.discovery.forget(configuredStream, 'NOGROUP');
    assert.equal(configured.discovery.setupNeeded, true);
  });
});
