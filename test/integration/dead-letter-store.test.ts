import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { FakeClock } from '../support/fake-clock';
import { RedisDeadLetterStore, replaysKey } from '../../src/adapters/redis/dead-letter-store';
import { deadLetterFields } from '../../src/adapters/flunq-wire/stream-fields';
import { deadLetterEntry } from '../support/flunq';
import { startRedis, TestRedis } from '../support/redis-server';

const STREAM_A = 'tenant:acme:workflow:wf_a:events';
const STREAM_B = 'tenant:beta:workflow:wf_b:events';

function request(taskId: string, workflow: string, tenant: string, data?: string): Record<string, string> {
  const fields: Record<string, string> = {
    id: `task-requested-${taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: 'io.flunq.task.requested',
    time: '2025-08-25T19:35:40Z',
    workflowid: workflow,
    executionid: 'ex_1',
    taskid: taskId,
    tenantid: tenant,
  };
  if (data !== undefined) fields['data'] = data;
  return fields;
}

describe('RedisDeadLetterStore against a private redis-server', () => {
  let server: TestRedis;
  let redis: Redis;
  let store: RedisDeadLetterStore;
  const clock = new FakeClock();
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startRedis();
    redis = server.client();
    const good = request('task-fetch-1', 'wf_a', 'acme', '{"task_id":"task-fetch-1","task_name":"fetch","task_type":"call","input":{"x":1}}');
    const broken = request('task-bad-2', 'wf_b', 'beta', '{not json');
    await redis.xadd(STREAM_A, '1700000000000-0', ...Object.entries(good).flat());
    ids['a'] = (await redis.xadd(STREAM_A, '1700000001000-0', ...Object.entries(deadLetterEntry(good, 'PUBLICATION_FAILED: down', 3)).flat()))!;
    await redis.xadd(STREAM_A, '1700000002000-0', 'type', 'io.flunq.task.completed', 'id', 'task-completed-x', 'data', '{}');
    ids['b'] = (await redis.xadd(STREAM_B, '1700000003000-0', ...Object.entries(deadLetterEntry(broken, 'MALFORMED_EVENT: bad', 1)).flat()))!;
    // Not a stream: must be skipped, not break the listing.
    await redis.set('tenant:x:workflow:y:events', 'oops');
    await clock.advance(1700000000000 + 3_600_000 - clock.now());
    store = new RedisDeadLetterStore(server.client(), clock);
  });

  after(async () => {
    await store.close();
    redis.disconnect();
    await server.stop();
  });

  it('lists dead letters across workflow streams, oldest first, with reason, attempts and age', async () => {
    const list = await store.list();
    assert.deepEqual(
      list.map((d) => [d.location, d.messageId, d.taskId, d.attempts, d.reason]),
      [
        [STREAM_A, ids['a'], 'task-fetch-1', 3, 'task_execution_failed:PUBLICATION_FAILED: down'],
        [STREAM_B, ids['b'], 'task-bad-2', 1, 'task_execution_failed:MALFORMED_EVENT: bad'],
      ],
    );
    assert.equal(list[0]?.ageMs, 3_600_000 - 1000);
  });

  it('shows one dead letter with its original payload; other entries are not dead letters', async () => {
    const record = await store.get(STREAM_B, ids['b']!);
    assert.equal(record?.event.data, '{not json');
    assert.equal(record?.summary.taskId, 'task-bad-2');
    assert.equal(await store.get(STREAM_A, '1700000000000-0'), undefined);
    assert.equal(await store.get(STREAM_A, '1-0'), undefined);
  });

  it('replays as a new task.requested, keeps the dead letter and records the replay', async () => {
    const first = await store.replay(STREAM_A, ids['a']!);
    const second = await store.replay(STREAM_A, ids['a']!);
    assert.equal(first.eventId, 'task-requested-task-fetch-1-replay-1');
    assert.equal(second.eventId, 'task-requested-task-fetch-1-replay-2');
    const [entry] = await redis.xrange(STREAM_A, first.messageId, first.messageId);
    const flat = entry![1];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    assert.equal(fields['type'], 'io.flunq.task.requested');
    assert.equal(fields['data'], '{"task_id":"task-fetch-1","task_name":"fetch","task_type":"call","input":{"x":1}}');
    assert.equal(fields['replay_of'], `${STREAM_A}|${ids['a']}`);
    assert.equal(fields['tenantid'], 'acme');
    assert.equal(fields['reason'], undefined);
    assert.ok(await store.get(STREAM_A, ids['a']!), 'dead letter still there');
    const record = await store.get(STREAM_A, ids['a']!);
    assert.deepEqual(record?.replays.map((r) => [r.replay, r.messageId]), [[1, first.messageId], [2, second.messageId]]);
    assert.equal(await redis.hget(replaysKey(STREAM_A), ids['a']!), '2');
    await assert.rejects(store.replay(STREAM_A, first.messageId), /not a dead letter/);
  });

  it('replays a dead letter whose data was left out (too large) with the data of the request entry that keeps it', async () => {
    const stream = 'tenant:acme:workflow:wf_big:events';
    const big = request('task-big-1', 'wf_big', 'acme', JSON.stringify({ task_id: 'task-big-1', task_type: 'set', blob: 'x'.repeat(5000) }));
    const requestId = (await redis.xadd(stream, '*', ...Object.entries(big).flat()))!;
    const letter = deadLetterFields(big, 'task_execution_failed:ENTRY_TOO_LARGE: too large', 1, { entryId: requestId });
    assert.equal(letter['data'], undefined);
    const letterId = (await redis.xadd(stream, '*', ...Object.entries(letter).flat()))!;
    const replay = await store.replay(stream, letterId);
    const [entry] = await redis.xrange(stream, replay.messageId, replay.messageId);
    const flat = entry![1];
    assert.equal(flat[flat.indexOf('data') + 1], big['data']);
    assert.equal(flat.includes('data_kept_in'), false);
  });

  it('works through the CLI (dlq list, show, replay) with REDIS_URL', () => {
    const cli = path.resolve(__dirname, '../../src/cli/flunq-executor.ts');
    const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', cli, ...args], { env: { ...process.env, REDIS_URL: server.url, TS_NODE_TRANSPILE_ONLY: 'true' }, encoding: 'utf8' });
    const list = run('dlq', 'list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /STREAM\s+ENTRY\s+TASK\s+TYPE\s+ATTEMPTS\s+AGE\s+STATUS\s+REPLAYS\s+REASON/);
    assert.match(list.stdout, /task-fetch-1\s+call\s+3\s+\S+\s+replayed\s+\d+\s+task_execution_failed:PUBLICATION_FAILED/);
    const show = run('dlq', 'show', STREAM_B, ids['b']!);
    assert.equal(show.status, 0, show.stderr);
    assert.equal((JSON.parse(show.stdout) as { data: string }).data, '{not json');
    const replay = run('dlq', 'replay', STREAM_B, ids['b']!, '1-0');
    assert.equal(replay.status, 1);
    assert.match(replay.stdout, /replayed .* as \S+ \(event id task-requested-task-bad-2-replay-1, replay 1\)/);
    assert.match(replay.stderr, /cannot replay .* 1-0: .*not a dead letter/);
    assert.equal(run('dlq').status, 2);
  });
});
