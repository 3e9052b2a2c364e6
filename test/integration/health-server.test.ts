import { eventFromFields } from '../../src/adapters/flunq-wire/stream-fields';
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HealthServer } from '../../src/adapters/express/health-server';
import { FakeClock } from '../support/fake-clock';
import { InMemoryLogger } from '../support/in-memory-logger';
import { SubmitTask } from '../../src/application/operations/submit-task.use-case';
import { ServiceStatus } from '../../src/application/ports/service-status.port';
import { SubmissionResult, TaskSubmission } from '../../src/application/ports/task-submission.port';
import { replace } from '../../src/config/binding';
import { createExecutor } from '../../src/config/container';
import { loadConfig } from '../../src/config/env';
import { ExecutorService } from '../../src/config/service';
import { LOGGER } from '../../src/config/tokens';
import { capturedLogger, freePort, getJson, postJson, sample } from '../support/ops';

const SECRET = 'sk-live-9f8e7d6c5b4a-SECRET';

async function embedded(env: Record<string, string>): Promise<{ service: ExecutorService; server: HealthServer; stopLoop: (deadlineMs: number) => Promise<void>; logs: () => string }> {
  const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', HOSTNAME: 'test', HEALTH_PORT: '0', METRICS_PORT: '0', HEALTH_HOST: '127.0.0.1', ...env });
  const { logger, text } = capturedLogger('debug');
  const { service, healthServer, loop } = await createExecutor(config, { profile: 'embedded', replacements: [replace(LOGGER, logger)] });
  await service.start();
  assert.ok(healthServer);
  return { service, server: healthServer, stopLoop: (deadlineMs) => loop.stop(deadlineMs), logs: text };
}

describe('health server on the embedded service (one port)', () => {
  let service: ExecutorService;
  let stopLoop: (deadlineMs: number) => Promise<void>;
  let base: string;
  let logs: () => string;

  before(async () => {
    const started = await embedded({});
    service = started.service;
    stopLoop = started.stopLoop;
    logs = started.logs;
    base = `http://127.0.0.1:${started.server.port}`;
  });
  after(() => service.stop());

  it('answers /health, /healthz and /readyz while running', async () => {
    assert.deepEqual(await getJson(`${base}/health`), { status: 200, body: { status: 'UP', live: true, ready: true } });
    assert.deepEqual(await getJson(`${base}/healthz`), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await getJson(`${base}/readyz`), { status: 200, body: { status: 'ready' } });
  });

  it('runs submitted tasks, and /metrics shows the counts move', async () => {
    const before = await (await fetch(`${base}/metrics`)).text();
    assert.equal(sample(before, 'executor_tasks_total{task_type="set",outcome="success"}'), 0);

    const set = await postJson(`${base}/tasks`, { task_type: 'set', task_name: 'remember', input: { set_data: { greeting: 'hello' } } });
    assert.equal(set.status, 200);
    assert.equal(set.body['status'], 'completed');
    const completion = set.body['completion'] as Record<string, unknown>;
    assert.equal(completion['success'], true);
    assert.deepEqual(completion['output'], { set_data: { greeting: 'hello' } });

    const inject = await postJson(`${base}/tasks`, { task_type: 'inject', input: { data: { a: 1 } } });
    assert.equal((inject.body['completion'] as Record<string, unknown>)['success'], true);
    const unknown = await postJson(`${base}/tasks`, { task_type: 'teleport' });
    assert.equal((unknown.body['completion'] as Record<string, unknown>)['success'], false);

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 1);
    assert.equal(sample(text, 'executor_tasks_total{task_type="inject",outcome="success"}'), 1);
    assert.equal(sample(text, 'executor_tasks_total{task_type="other",outcome="dead_letter"}'), 1);
    assert.equal(sample(text, 'executor_dead_letters_total{reason="UNKNOWN_TASK_TYPE"}'), 1);
    assert.equal(sample(text, 'executor_task_duration_seconds_count{task_type="set"}'), 1);
    assert.equal(sample(text, 'executor_concurrency_limit'), 4);
    assert.equal(sample(text, 'executor_tasks_in_flight'), 0);
    assert.equal(sample(text, 'http_request_duration_seconds_count{status_code="200",method="POST",path="/tasks"}'), 3);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.doesNotMatch(text, /teleport|task-/, 'no task ids or free-form types as label values');
  });

  it('labels unknown paths as `other` and answers 404', async () => {
    assert.equal((await getJson(`${base}/tasks/123/whatever`)).status, 404);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /path="other"/);
    assert.doesNotMatch(text, /whatever/);
  });

  it('rejects a malformed request with 400', async () => {
    assert.equal((await postJson(`${base}/tasks`, [1, 2])).status, 400);
    assert.equal((await postJson(`${base}/tasks`, { input: {} })).status, 400);
    const bad = await fetch(`${base}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(bad.status, 400);
  });

  it('never writes a secret given in a task to the log', async () => {
    const res = await postJson(`${base}/tasks`, {
      task_type: 'set',
      task_name: 'withSecret',
      input: { set_data: { api_key: SECRET, note: `token is ${SECRET}` }, headers: { Authorization: `Bearer ${SECRET}` } },
      config: { parameters: { password: SECRET } },
    });
    assert.equal(res.status, 200);
    const lines = logs().split('\n').filter((l) => l !== '');
    assert.ok(lines.some((l) => l.includes('"taskName"') || l.includes('withSecret')), 'the task was logged');
    for (const line of lines) assert.doesNotMatch(line, /9f8e7d6c5b4a/);
  });

  it('logs one JSON line per task outcome with the task identity', () => {
    const lines = logs().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = lines.filter((l) => l['message'] === 'task completed');
    assert.ok(done.length >= 3);
    for (const l of done) for (const key of ['workflowId', 'executionId', 'taskId', 'taskType', 'attempt', 'durationMs', 'outcome']) assert.ok(key in l, `${key} in ${JSON.stringify(l)}`);
  });

  it('reports not ready (503, with a reason) while draining', async () => {
    await stopLoop(1000);
    const ready = await getJson(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(ready.body['status'], 'not_ready');
    assert.match(String(ready.body['reason']), /draining/);
    assert.equal((await getJson(`${base}/healthz`)).status, 200);
  });
});

describe('health server with a separate metrics port', () => {
  it('serves /metrics only on METRICS_PORT', async () => {
    const [health, metrics] = [await freePort(), await freePort()];
    const { service } = await embedded({ HEALTH_PORT: String(health), METRICS_PORT: String(metrics) });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${metrics}/metrics`)).status, 200);
      assert.match(await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text(), /executor_concurrency_limit 4/);
      assert.equal((await fetch(`http://127.0.0.1:${health}/metrics`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${health}/readyz`)).status, 200);
    } finally {
      await service.stop();
    }
  });

  it('has no POST /tasks when EXECUTOR_SUBMIT_API=false', async () => {
    const { service, server } = await embedded({ EXECUTOR_SUBMIT_API: 'false' });
    try {
      assert.equal((await postJson(`http://127.0.0.1:${server.port}/tasks`, { task_type: 'set' })).status, 404);
    } finally {
      await service.stop();
    }
  });

  it('fails to start when the port is taken', async () => {
    const { service, server } = await embedded({});
    try {
      const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '127.0.0.1', HEALTH_PORT: String(server.port), METRICS_PORT: String(server.port) });
      const second = await createExecutor(config, { profile: 'embedded', replacements: [replace(LOGGER, capturedLogger().logger)] });
      await assert.rejects(second.service.start(), /EADDRINUSE/);
    } finally {
      await service.stop();
    }
  });
});

describe('POST /tasks access', () => {
  const TOKEN = 'submit-token-0123456789abcdef';

  function withAuthorization(base: string, authorization: string | undefined, body: unknown = { task_type: 'set', input: { set_data: { a: 1 } } }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers['authorization'] = authorization;
    return fetch(`${base}/tasks`, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }));
  }

  it('listens on 127.0.0.1 when HEALTH_HOST is not set', async () => {
    const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', HOSTNAME: 'test', HEALTH_PORT: '0', METRICS_PORT: '0' });
    const { service, healthServer: server } = await createExecutor(config, { profile: 'embedded', replacements: [replace(LOGGER, capturedLogger().logger)] });
    await service.start();
    try {
      assert.ok(server);
      assert.equal(server.address, '127.0.0.1');
      assert.equal((await postJson(`http://127.0.0.1:${server.port}/tasks`, { task_type: 'set' })).status, 200, 'no token needed on loopback');
    } finally {
      await service.stop();
    }
  });

  it('demands the bearer token when one is configured: 401 problem without it or with a wrong one; probes and metrics stay open', async () => {
    const { service, server, logs } = await embedded({ EXECUTOR_SUBMIT_TOKEN: TOKEN });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789abc', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        const r = await withAuthorization(base, authorization);
        assert.equal(r.status, 401, String(authorization));
        assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.deepEqual(r.body, { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/authentication', title: 'Unauthorized', status: 401, detail: 'POST /tasks needs the header Authorization: Bearer <EXECUTOR_SUBMIT_TOKEN>' });
      }
      const ok = await withAuthorization(base, `Bearer ${TOKEN}`);
      assert.equal(ok.status, 200);
      assert.equal((ok.body['completion'] as { success: boolean }).success, true);
      assert.equal((await withAuthorization(base, `bearer ${TOKEN}`)).status, 200, 'the scheme is case-insensitive');
      for (const path of ['/health', '/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${base}${path}`)).status, 200, path);
      assert.doesNotMatch(logs(), new RegExp(TOKEN), 'the token is never logged');
    } finally {
      await service.stop();
    }
  });

  it('refuses to serve POST /tasks on a non-loopback address without a token, before binding', async () => {
    const submission: TaskSubmission = { submit: () => Promise.reject(new Error('not expected')) };
    const submitTask = new SubmitTask(submission, new FakeClock(), { timeoutMs: 1000, firstSequence: 0, taskTypes: ['call', 'set'] });
    const status: ServiceStatus = { live: () => ({ ok: true }), ready: () => ({ ok: true }) };
    for (const host of ['0.0.0.0', '::', undefined]) {
      const server = new HealthServer({ healthPort: 0, metricsPort: 0, ...(host ? { host } : {}) }, { status, registry: new Registry(), logger: new InMemoryLogger(), submitTask });
      try {
        await assert.rejects(server.start(), /POST \/tasks would listen on .* without a token/);
        assert.equal(server.port, 0, 'nothing was bound');
      } finally {
        await server.close();
      }
    }
  });
});

describe('POST /tasks answers', () => {
  async function serverWith(result: SubmissionResult): Promise<HealthServer> {
    const submission: TaskSubmission = { submit: () => Promise.resolve(result) };
    const status: ServiceStatus = { live: () => ({ ok: true }), ready: () => ({ ok: false, reason: 'starting' }) };
    const submitTask = new SubmitTask(submission, new FakeClock(), { timeoutMs: 50, firstSequence: 0, taskTypes: ['call', 'set'] });
    const server = new HealthServer({ healthPort: 0, metricsPort: 0, host: '127.0.0.1' }, { status, registry: new Registry(), logger: new InMemoryLogger(), submitTask });
    await server.start();
    return server;
  }

  it('504 when no completion arrives in time', async () => {
    const server = await serverWith({ status: 'timeout', location: 's', taskId: 't' });
    try {
      const r = await postJson(`http://127.0.0.1:${server.port}/tasks`, { task_type: 'wait' });
      assert.equal(r.status, 504);
      assert.match(String(r.body['error']), /no completion within 50 ms/);
    } finally {
      await server.close();
    }
  });

  it('the earlier completion, marked duplicate, for a task id that already has an outcome; 503 readiness with reason', async () => {
    const server = await serverWith({ status: 'duplicate', location: 's', taskId: 't', outcome: { ...eventFromFields({ type: 'io.flunq.task.completed', data: '{"success":true}' }) } });
    try {
      const r = await postJson(`http://127.0.0.1:${server.port}/tasks`, { task_type: 'set', task_id: 't' });
      assert.equal(r.status, 200);
      assert.equal(r.body['status'], 'duplicate');
      assert.deepEqual(r.body['completion'], { success: true });
      assert.deepEqual(await getJson(`http://127.0.0.1:${server.port}/readyz`), { status: 503, body: { status: 'not_ready', reason: 'starting' } });
      assert.equal((await getJson(`http://127.0.0.1:${server.port}/health`)).body['ready'], false);
    } finally {
      await server.close();
    }
  });
});
