/**
 * Rate limits shared by replicas: two call handlers, each with its own Redis connection (as two
 * executor processes have), send to a real local HTTP server that records when each request
 * arrived; one Redis bucket keeps them both to the operator's rate, and a 429 with Retry-After
 * seen by one replica holds back the other. Real time, bounded to a few seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { InMemoryLogger } from '../support/in-memory-logger';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { request } from '../unit/try/fake-context';
import { json, LocalServer } from './support/call-harness';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { CallTaskHandler } from '../../src/application/handlers/call/call.handler';
import { DEFAULT_CALL_AUDIT } from '../../src/application/handlers/call/call-audit';
import { OutboundCalls } from '../../src/application/handlers/call/outbound-calls';
import { CircuitBreaker } from '../../src/application/ports/circuit-breaker.port';
import { OpenApiDocumentSource } from '../../src/application/ports/openapi-document-source.port';
import { TaskContext } from '../../src/application/ports/task-handler.port';
import { JsonObject } from '../../src/domain/json';
import { parseHostRateRules } from '../../src/domain/rate-limit';
import { TaskOutcome } from '../../src/domain/task-result';

const redisUrl = process.env['REDIS_URL'] ?? '127.0.0.1:6379';
const prefix = `test:ratelimit-it:${process.pid}-${Date.now()}:`;
const arrivals = new Map<string, number[]>();
let busyAnswered = false;

const server = new LocalServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  arrivals.set(path, [...(arrivals.get(path) ?? []), Date.now()]);
  if (path === '/busy' && !busyAnswered) {
    busyAnswered = true;
    return json(res, 429, { error: 'slow down' }, { 'Retry-After': '1' });
  }
  return json(res, 200, { ok: true });
});

const passThrough: CircuitBreaker = { run: (_scope, action) => action(), close: () => Promise.resolve() };
const clock = new SystemClock();

interface Replica {
  handler: CallTaskHandler;
  limiter: RedisRateLimiter;
  http: UndiciHttpClient;
  metrics: InMemoryMetrics;
}

const replicas: Replica[] = [];

function replica(limits: string): Replica {
  const metrics = new InMemoryMetrics();
  const http = new UndiciHttpClient(metrics, { ...DEFAULT_HTTP_CLIENT_SETTINGS, denyPrivateNetworks: false });
  const limiter = new RedisRateLimiter({ connection: { url: redisUrl }, keyPrefix: prefix }, clock, new InMemoryLogger());
  const outbound = new OutboundCalls(limiter, clock, { limits: { rules: parseHostRateRules(limits), maxWaitMs: undefined, maxPenaltyMs: 60_000, backoffMs: 1000 }, audit: DEFAULT_CALL_AUDIT }, metrics);
  const handler = new CallTaskHandler(http, passThrough, {} as OpenApiDocumentSource, clock, { idempotencyKeys: false }, [], metrics, outbound);
  const made = { handler, limiter, http, metrics };
  replicas.push(made);
  return made;
}

let seq = 0;
function run(r: Replica, parameters: JsonObject, deadlineMs = 10_000): Promise<TaskOutcome> {
  const req = request({ task_type: 'call', task_id: `task-${++seq}`, config: { parameters } });
  const context: TaskContext = {
    request: req,
    signal: new AbortController().signal,
    deadline: clock.now() + deadlineMs,
    logger: new InMemoryLogger(),
    scope: {},
    workflowRetries: true,
    operationKey: req.taskId,
    taskTypes: ['call'],
    resolve: (value) => Promise.resolve(value),
    runInner: () => Promise.reject(new Error('no inner tasks')),
  };
  return r.handler.execute(context);
}

before(() => server.start());
after(async () => {
  for (const r of replicas) {
    await r.limiter.close();
    await r.http.close();
  }
  await server.stop();
  const cleaner = new Redis(redisUrl.startsWith('redis') ? redisUrl : `redis://${redisUrl}`);
  const keys = await cleaner.keys(`${prefix}*`);
  if (keys.length > 0) await cleaner.del(...keys);
  cleaner.disconnect();
});

describe('rate limits shared by replicas through Redis', () => {
  it('two replicas together keep to one limit of the host', async () => {
    const limits = `127.0.0.1:${server.port}=5/s`;
    const [a, b] = [replica(limits), replica(limits)];
    const url = `${server.origin}/spaced`;
    const started = Date.now();
    const outcomes = await Promise.all([...Array.from({ length: 4 }, () => run(a, { call_type: 'http', url })), ...Array.from({ length: 4 }, () => run(b, { call_type: 'http', url }))]);
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    const times = (arrivals.get('/spaced') ?? []).sort((x, y) => x - y);
    assert.equal(times.length, 8);
    // One slot every 200 ms for the two of them: the k-th request is sent no earlier than k × 200 ms
    // after the first slot (arrivals carry some network jitter, hence the tolerance).
    const offsets = times.map((t) => t - started);
    offsets.forEach((offset, k) => assert.ok(offset >= k * 200 - 30, `request ${k} arrived at ${offset} ms (all: ${offsets.join(', ')})`));
    assert.ok((offsets[7] ?? 0) < 1400 + 1000, `and not much later either: ${offsets.join(', ')}`);
    assert.ok(a.metrics.count('rate_limit_waits', `127.0.0.1:${server.port}`) + b.metrics.count('rate_limit_waits', `127.0.0.1:${server.port}`) >= 7);
  });

  it("a 429 with Retry-After seen by one replica holds back the other's calls to the host", async () => {
    const limits = `127.0.0.1:${server.port}=100/s`;
    const [a, b] = [replica(limits), replica(limits)];
    const url = `${server.origin}/busy`;
    const first = await run(a, { call_type: 'http', url });
    assert.equal(first.success, false);
    assert.equal(!first.success && first.error.code, 'HTTP_4XX');
    const second = await run(b, { call_type: 'http', url });
    assert.equal(second.success, true, JSON.stringify(second));
    const [t429, tNext] = arrivals.get('/busy') ?? [];
    assert.ok((tNext ?? 0) - (t429 ?? 0) >= 990, `the next call came ${(tNext ?? 0) - (t429 ?? 0)} ms after the 429`);
    assert.equal(a.metrics.count('rate_limit_pushbacks', `127.0.0.1:${server.port}`, 'retry_after'), 1);
  });

  it('a replica whose slot would come after the deadline fails at once with RATE_LIMITED', async () => {
    const limits = `127.0.0.1:${server.port}=1/10s`;
    const [a, b] = [replica(limits), replica(limits)];
    const url = `${server.origin}/refused`;
    assert.equal((await run(a, { call_type: 'http', url })).success, true);
    const before = Date.now();
    const refused = await run(b, { call_type: 'http', url }, 3000);
    assert.ok(Date.now() - before < 500, 'no useless wait');
    assert.equal(!refused.success && refused.error.code, 'RATE_LIMITED');
    assert.equal(arrivals.get('/refused')?.length, 1);
  });
});
