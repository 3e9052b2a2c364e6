import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { entriesOfType, pendingCount, requestFields, streamKey, xadd } from '../support/flunq';
import { InProcessExecutor, startExecutor } from '../support/in-process-executor';
import { heldLeases, outcomeMarkers } from '../support/task-keys';

const COMPLETED = 'io.flunq.task.completed';

/**
 * A downstream API on a private loopback port that counts the requests it receives (each one is a
 * side effect) and, when told to, holds its answers until the test releases them (a slow API).
 */
class CountingApi {
  readonly requests: string[] = [];
  private readonly held: http.ServerResponse[] = [];
  private holding = false;
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      if (this.holding) this.held.push(res);
      else answer(res);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hold(): void {
    this.holding = true;
  }

  /** Answers every held request and stops holding. */
  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) answer(res);
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function answer(res: http.ServerResponse): void {
  res.writeHead(201, { 'content-type': 'application/json' }).end('{"id": 1}');
}

let redis: TestRedis;
let client: Redis;
let api: CountingApi;
let base: string;
const executors: InProcessExecutor[] = [];
let n = 0;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterEach(async () => {
  await api.stop();
  for (const e of executors.splice(0)) await e.stop();
});
after(async () => {
  await redis.stop();
});

async function executor(env: Record<string, string> = {}): Promise<InProcessExecutor> {
  const e = await startExecutor(redis.url, env);
  executors.push(e);
  return e;
}

async function setUp(): Promise<{ stream: string; fields: Record<string, string>; taskId: string }> {
  api = new CountingApi();
  base = await api.start();
  const tenant = `dup${++n}`;
  const taskId = `task-order-${n}`;
  const fields = requestFields({
    tenant,
    workflow: 'wf_dup',
    taskId,
    taskName: 'order',
    taskType: 'call',
    parameters: { call_type: 'http', url: `${base}/orders`, method: 'post', body: { item: 'book' } },
  });
  return { stream: streamKey(tenant, 'wf_dup'), fields, taskId };
}

async function completions(stream: string, taskId: string): Promise<Record<string, unknown>[]> {
  return (await entriesOfType(client, stream, COMPLETED)).filter((e) => e.fields['taskid'] === taskId).map((e) => JSON.parse(e.fields['data'] ?? '{}') as Record<string, unknown>);
}

/** The group has read every entry of the stream and holds none pending. */
async function drained(stream: string): Promise<boolean> {
  const groups = (await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[][];
  const g = groups.map((row) => row.map(String)).find((row) => row[1] === 'executor-service');
  return g !== undefined && g[g.indexOf('lag') + 1] === '0' && (await pendingCount(client, stream)) === 0;
}

/** Every entry of the stream has been delivered to the group (lag 0). */
async function drainedExceptPending(stream: string): Promise<boolean> {
  const groups = (await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[][];
  const g = groups.map((row) => row.map(String)).find((row) => row[1] === 'executor-service');
  return g !== undefined && g[g.indexOf('lag') + 1] === '0';
}

describe('Redis: a task runs once, however often its request arrives (side effects counted)', () => {
  it('a task published again after its first copy completed is acknowledged without calling the API again', async () => {
    const { stream, fields, taskId } = await setUp();
    await executor();
    await xadd(client, stream, fields);
    await eventually('the first completion', async () => (await completions(stream, taskId)).length === 1);
    await xadd(client, stream, fields);
    await eventually('the copy acknowledged', () => drained(stream));
    assert.deepEqual(api.requests, ['POST /orders']);
    assert.equal((await completions(stream, taskId)).length, 1);
    assert.deepEqual(await heldLeases(client), [], 'the claim is released with the outcome');
    assert.equal((await outcomeMarkers(client, taskId)).length, 1, 'the outcome is marked');
  });

  it('two copies that overlap while the API answers slowly call it once; the copy is acknowledged, the first publishes', async () => {
    const { stream, fields, taskId } = await setUp();
    api.hold();
    await executor({ EXECUTOR_CONCURRENCY: '4' });
    await client.multi().xadd(stream, '*', ...Object.entries(fields).flat()).xadd(stream, '*', ...Object.entries(fields).flat()).exec();
    // Both copies taken: each one either waits for its held answer or was acknowledged.
    await eventually('both copies running or acknowledged', async () => api.requests.length > 0 && (await pendingCount(client, stream)) === api.requests.length && (await drainedExceptPending(stream)));
    assert.equal(api.requests.length, 1, 'the copy did not call the API');
    assert.equal(await pendingCount(client, stream), 1, 'the running copy stays pending until it settles');
    api.release();
    await eventually('the completion', async () => (await completions(stream, taskId)).length === 1 && (await drained(stream)));
    assert.equal(api.requests.length, 1);
    assert.equal((await completions(stream, taskId))[0]?.['success'], true);
  });

  it('copies whose data names another task id than their taskid field still run once, and leave no claim behind', async () => {
    const { stream, fields } = await setUp();
    const data = JSON.parse(fields['data'] ?? '{}') as Record<string, unknown>;
    data['task_id'] = `${fields['taskid'] ?? ''}-in-data`;
    const odd = { ...fields, data: JSON.stringify(data) };
    api.hold();
    await executor({ EXECUTOR_CONCURRENCY: '4' });
    await client.multi().xadd(stream, '*', ...Object.entries(odd).flat()).xadd(stream, '*', ...Object.entries(odd).flat()).exec();
    await eventually('both copies running or acknowledged', async () => api.requests.length > 0 && (await pendingCount(client, stream)) === api.requests.length && (await drainedExceptPending(stream)));
    assert.equal(api.requests.length, 1);
    api.release();
    await eventually('the completion', async () => (await completions(stream, data['task_id'] as string)).length === 1 && (await drained(stream)));
    assert.equal(api.requests.length, 1);
    assert.deepEqual(await heldLeases(client), [], 'every claim released');
  });

  it('a delivery whose executor died before acknowledging it runs again once, with its delivery count as the attempt, and is reported once', async () => {
    const { stream, fields, taskId } = await setUp();
    api.hold();
    const first = await executor({ EXECUTOR_RECLAIM_ENABLED: 'false' });
    await xadd(client, stream, fields);
    await eventually('the first call', () => api.requests.length === 1);
    // The executor dies: its connections drop with the task still running and its entry pending.
    await first.source.close();
    assert.equal(await pendingCount(client, stream), 1);
    // Restarted under the same name: it reads its own pending entry at once (delivery count 2)
    // and takes the task over although the dead run's claim has not expired.
    await executor({ EXECUTOR_RECLAIM_ENABLED: 'false' });
    await eventually('the redelivery calls the API', () => api.requests.length === 2);
    api.release();
    await eventually('the completion', async () => (await completions(stream, taskId)).length === 1 && (await drained(stream)));
    const [payload] = await completions(stream, taskId);
    assert.equal(payload?.['attempt'], 2);
    assert.equal(payload?.['success'], true);
    assert.equal(api.requests.length, 2, 'one call per delivery that ran, no more');
  });
});
