import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { consoleRouter } from '../../../src/adapters/express/console/console-router';
import { workflowStream } from '../../../src/adapters/flunq-wire/stream-keys';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskHistory } from '../../../src/adapters/memory/in-memory-task-history';
import { TaskActivity } from '../../../src/application/activity/task-activity';
import { ShowTask } from '../../../src/application/operations/show-task.use-case';
import { TaskHistoryUnavailable } from '../../../src/application/ports/task-history.port';
import { FakeClock } from '../../support/fake-clock';
import { requestFields } from '../../support/flunq';
import { InMemoryLogger } from '../../support/in-memory-logger';

/** The console on a loopback port; `tasks` as given (undefined: a backend without task history). */
async function serve(tasks: ShowTask | undefined) {
  const clock = new FakeClock();
  const app = express();
  app.use('/console', consoleRouter({ activity: new TaskActivity(clock), circuits: { snapshot: () => [] }, status: { live: () => ({ ok: true }), ready: () => ({ ok: true }) }, logger: new InMemoryLogger(), tasks }, { token: undefined, instance: 'executor-test', mode: 'embedded', concurrency: 4 }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const page = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  return { get, page, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('console: a task history from the outcomes page', () => {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  let sut: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    const stream = workflowStream('acme', 'wf_1');
    const request = requestFields({ tenant: 'acme', workflow: 'wf_1', taskId: 'task-1' });
    broker.append(stream, request);
    broker.append(stream, { ...request, id: 'task-completed-task-1', type: 'io.flunq.task.completed', source: 'executor-service', data: JSON.stringify({ task_id: 'task-1', success: true, output: { ok: true, password: 'hunter2' } }) });
    broker.append(stream, requestFields({ tenant: 'acme', workflow: 'wf_1', taskId: 'task-10' }));
    sut = await serve(new ShowTask(new InMemoryTaskHistory(broker, clock)));
  });
  after(() => sut.close());

  it('answers the history of a task, with its status, redacting as every console payload', async () => {
    const r = await sut.get('/console/api/tasks/history?task=task-1&workflow=wf_1');
    assert.equal(r.status, 200);
    assert.equal(r.body['status'], 'succeeded');
    const entries = r.body['entries'] as { kind: string; output?: unknown }[];
    assert.deepEqual(entries.map((e) => e.kind), ['requested', 'completed']);
    assert.deepEqual(entries[1]?.output, { ok: true, password: '***' });
  });

  it('404 with the search figures for an unknown task, 400 without a task', async () => {
    const missing = await sut.get('/console/api/tasks/history?task=task-');
    assert.deepEqual([missing.status, missing.body['status'], missing.body['examined']], [404, 'not_found', 3]);
    assert.equal((await sut.get('/console/api/tasks/history')).status, 400);
  });

  it('offers the history beside a completion on the outcomes page, and the script asks the API for it', async () => {
    const html = await sut.page('/console/outcomes');
    assert.match(html, /<button type="button" id="history-load">show the task's history<\/button>/);
    assert.match(html, /<pre id="detail-history" hidden><\/pre>/);
    const script = await sut.page('/console/assets/console.js');
    assert.match(script, /\/console\/api\/tasks\/history\?/);
  });
});

describe('console: task history where the backend has none or is down', () => {
  it('404 without a task history, 503 when the backend cannot be reached', async () => {
    const none = await serve(undefined);
    try {
      assert.equal((await none.get('/console/api/tasks/history?task=task-1')).status, 404);
    } finally {
      await none.close();
    }
    const down = await serve(new ShowTask({ find: () => Promise.reject(new TaskHistoryUnavailable('cannot connect to Redis at 127.0.0.1:1 (REDIS_URL): connection refused')), close: () => Promise.resolve() }));
    try {
      const r = await down.get('/console/api/tasks/history?task=task-1');
      assert.deepEqual([r.status, r.body['error']], [503, 'cannot connect to Redis at 127.0.0.1:1 (REDIS_URL): connection refused']);
    } finally {
      await down.close();
    }
  });
});
