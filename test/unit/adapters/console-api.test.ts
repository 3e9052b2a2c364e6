import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { TaskActivity } from '../../../src/application/activity/task-activity';
import { ListDeadLetters } from '../../../src/application/operations/list-dead-letters.use-case';
import { ReplayDeadLetters } from '../../../src/application/operations/replay-dead-letters.use-case';
import { ShowDeadLetter } from '../../../src/application/operations/show-dead-letter.use-case';
import { DeadLetterRecord, DeadLetterSummary } from '../../../src/application/ports/dead-letter-store.port';
import { ConsoleAuth, isLoopbackAddress, isLoopbackHostHeader, sameOrigin } from '../../../src/adapters/express/console/console-auth';
import { deadLetterFilter, filterDeadLetters, outcomeFilter, replayItems } from '../../../src/adapters/express/console/console-filters';
import { consoleRouter } from '../../../src/adapters/express/console/console-router';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryDeadLetterStore } from '../../support/in-memory-dead-letter-store';
import { InMemoryLogger } from '../../support/in-memory-logger';

const TOKEN = 'console-token-0123456789';

describe('console access rules', () => {
  const auth = new ConsoleAuth(TOKEN);
  const local = { remoteAddress: '127.0.0.1', host: '127.0.0.1:8083', authorization: undefined, cookie: undefined };

  it('lets loopback read without a token, but not write', () => {
    assert.deepEqual(auth.access(local), { read: true, write: false, via: 'loopback' });
    assert.deepEqual(auth.access({ ...local, remoteAddress: '::ffff:127.0.0.1', host: 'localhost:8083' }), { read: true, write: false, via: 'loopback' });
    assert.deepEqual(auth.access({ ...local, remoteAddress: '::1', host: '[::1]:8083' }), { read: true, write: false, via: 'loopback' });
  });

  it('refuses another machine, and a loopback peer naming a foreign host (DNS rebinding)', () => {
    assert.equal(auth.access({ ...local, remoteAddress: '10.1.2.3' }).read, false);
    assert.equal(auth.access({ ...local, host: 'attacker.example:8083' }).read, false);
    assert.equal(auth.access({ ...local, host: undefined }).read, false);
  });

  it('accepts the token as a bearer header or as the login cookie, from anywhere', () => {
    const remote = { ...local, remoteAddress: '10.1.2.3', host: 'executor.internal:8083' };
    assert.deepEqual(auth.access({ ...remote, authorization: `Bearer ${TOKEN}` }), { read: true, write: true, via: 'bearer' });
    assert.deepEqual(auth.access({ ...remote, cookie: `other=1; flunq_console=${auth.sessionValue() ?? ''}` }), { read: true, write: true, via: 'cookie' });
    assert.equal(auth.access({ ...remote, authorization: 'Bearer wrong-token-0123456789' }).read, false);
    assert.equal(auth.access({ ...remote, cookie: `flunq_console=${TOKEN}` }).read, false, 'the cookie is not the token itself');
  });

  it('without a token, only loopback reads are possible', () => {
    const none = new ConsoleAuth(undefined);
    assert.equal(none.hasToken, false);
    assert.deepEqual(none.access({ ...local, authorization: 'Bearer anything-at-all-123' }), { read: true, write: false, via: 'loopback' });
    assert.equal(none.checkToken(''), false);
  });

  it('recognises loopback addresses and host names', () => {
    assert.equal(isLoopbackAddress('127.8.9.10'), true);
    assert.equal(isLoopbackAddress('192.168.1.1'), false);
    assert.equal(isLoopbackHostHeader('localhost'), true);
    assert.equal(isLoopbackHostHeader('127.0.0.1.nip.io'), false);
  });

  it('sees a same-origin browser request by its Origin or Sec-Fetch-Site', () => {
    assert.equal(sameOrigin({ origin: 'http://127.0.0.1:8083', host: '127.0.0.1:8083' }), true);
    assert.equal(sameOrigin({ origin: 'https://evil.example', host: '127.0.0.1:8083' }), false);
    assert.equal(sameOrigin({ origin: 'null', host: '127.0.0.1:8083' }), false);
    assert.equal(sameOrigin({ host: '127.0.0.1:8083', secFetchSite: 'same-origin' }), true);
    assert.equal(sameOrigin({ host: '127.0.0.1:8083', secFetchSite: 'cross-site' }), false);
    assert.equal(sameOrigin({ host: '127.0.0.1:8083' }), false);
  });
});

describe('console filters', () => {
  it('reads outcome filters from the query and refuses an unknown status', () => {
    assert.deepEqual(outcomeFilter({ workflow: ' wf_1 ', task: 'abc', type: 'call', status: 'failure', limit: '5' }), { limit: 5, workflowId: 'wf_1', taskId: 'abc', taskType: 'call', status: 'failure' });
    assert.deepEqual(outcomeFilter({ limit: '100000' }), { limit: 200 });
    assert.deepEqual(outcomeFilter({ workflow: ['a', 'b'] }), { limit: 200 }, 'a repeated parameter is ignored');
    assert.ok('problem' in outcomeFilter({ status: 'exploded' }));
  });

  it('filters dead letters by workflow, task id, type and reason, newest first', () => {
    const base: DeadLetterSummary = { location: 's', messageId: '1', eventId: 'e', taskId: 'task-a-1', taskName: 'a', taskType: 'set', workflowId: 'wf_1', executionId: 'x', tenantId: 't', reason: 'PUBLICATION_FAILED: down', attempts: 3, ageMs: 5000 };
    const letters = [base, { ...base, messageId: '2', taskId: 'task-b-2', taskType: 'call', workflowId: 'wf_2', reason: 'UNKNOWN_TASK_TYPE: x', ageMs: 10 }, { ...base, messageId: '3', taskId: 'task-a-3', ageMs: 100 }];
    const ids = (query: Record<string, string>) => filterDeadLetters(letters, deadLetterFilter(query)).items.map((l) => l.messageId);
    assert.deepEqual(ids({}), ['2', '3', '1']);
    assert.deepEqual(ids({ workflow: 'wf_1' }), ['3', '1']);
    assert.deepEqual(ids({ task: 'a-3' }), ['3']);
    assert.deepEqual(ids({ type: 'call' }), ['2']);
    assert.deepEqual(ids({ reason: 'unknown_task' }), ['2']);
    assert.deepEqual(filterDeadLetters(letters, deadLetterFilter({ limit: '1' })), { total: 3, items: [letters[1]] });
  });

  it('checks a replay body', () => {
    assert.deepEqual(replayItems({ items: [{ location: 's', messageId: '1-0' }] }), [{ location: 's', messageId: '1-0' }]);
    assert.ok('problem' in replayItems({}));
    assert.ok('problem' in replayItems({ items: [{ location: 's' }] }));
    assert.ok('problem' in replayItems({ items: Array.from({ length: 101 }, () => ({ location: 's', messageId: '1' })) }));
  });
});

/** The router on a loopback port, with an in-memory dead-letter store. */
async function makeSut(token: string | null = TOKEN) {
  const clock = new FakeClock();
  const activity = new TaskActivity(clock);
  const store = new (class extends InMemoryDeadLetterStore {
    override async get(location: string, messageId: string): Promise<DeadLetterRecord | undefined> {
      const record = await super.get(location, messageId);
      return record && { ...record, event: { ...record.event, data: JSON.stringify({ task_type: 'call', config: { parameters: { headers: { Authorization: 'Bearer s3cr3t-value' } } } }) } };
    }
  })([{ location: 'tenant:acme:workflow:wf_1:events', messageId: '1-0', taskId: 'task-a-1' }]);
  const logger = new InMemoryLogger();
  const app = express();
  app.use(
    '/console',
    consoleRouter(
      { activity, circuits: { snapshot: () => [] }, status: { live: () => ({ ok: true }), ready: () => ({ ok: true }) }, logger, deadLetters: { list: new ListDeadLetters(store), show: new ShowDeadLetter(store), replay: new ReplayDeadLetters(store) } },
      { token: token ?? undefined, instance: 'executor-test', mode: 'production', concurrency: 4 },
    ),
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const request = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { store, port, request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('console router', () => {
  let sut: Awaited<ReturnType<typeof makeSut>>;
  before(async () => {
    sut = await makeSut();
  });
  after(() => sut.close());
  const replayBody = JSON.stringify({ items: [{ location: 'tenant:acme:workflow:wf_1:events', messageId: '1-0' }] });

  it('serves pages and the API to loopback without a token, with a strict CSP', async () => {
    const page = await sut.request('GET', '/console');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/console\/assets\/console.js" defer><\/script>/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await sut.request('GET', '/console/api/overview')).status, 200);
    assert.equal((await sut.request('GET', '/console/assets/console.js')).status, 200);
  });

  it('answers a foreign Host with 401 on the API and the login page for pages', async () => {
    const api = await sut.request('GET', '/console/api/overview', { host: 'evil.example' });
    assert.equal(api.status, 401);
    assert.equal(api.headers['www-authenticate'], 'Bearer realm="flunq-executor console"');
    const page = await sut.request('GET', '/console/dead-letters', { host: 'evil.example' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/console/login');
    assert.equal((await sut.request('GET', '/console/api/overview', { host: 'evil.example', authorization: `Bearer ${TOKEN}` })).status, 200);
  });

  it('refuses a replay without the token (401), even from loopback', async () => {
    const r = await sut.request('POST', '/console/api/dead-letters/replay', { 'content-type': 'application/json' }, replayBody);
    assert.equal(r.status, 401);
    assert.equal(sut.store.replays.length, 0);
  });

  it('replays with the bearer token through the use case', async () => {
    const r = await sut.request('POST', '/console/api/dead-letters/replay', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, replayBody);
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { results: { replayed?: unknown }[] }).results[0]?.replayed !== undefined, true);
    assert.equal(sut.store.replays.length, 1);
  });

  it('logs in with a same-origin form post, and then accepts same-origin writes by cookie only', async () => {
    const origin = `http://127.0.0.1:${sut.port}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    assert.equal((await sut.request('POST', '/console/login', { ...form, origin }, 'token=wrong')).status, 401);
    assert.equal((await sut.request('POST', '/console/login', { ...form, origin: 'https://evil.example' }, `token=${TOKEN}`)).status, 403);
    const login = await sut.request('POST', '/console/login', { ...form, origin }, `token=${TOKEN}`);
    assert.equal(login.status, 303);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /flunq_console=/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/console/);
    assert.doesNotMatch(setCookie, new RegExp(TOKEN));
    const cookie = setCookie.split(';')[0] ?? '';
    const json = { 'content-type': 'application/json', cookie };
    assert.equal((await sut.request('POST', '/console/api/dead-letters/replay', { ...json, origin: 'https://evil.example' }, replayBody)).status, 403, 'cross-origin');
    assert.equal((await sut.request('POST', '/console/api/dead-letters/replay', json, replayBody)).status, 403, 'no origin at all');
    assert.equal((await sut.request('POST', '/console/api/dead-letters/replay', { ...json, 'content-type': 'text/plain', origin }, replayBody)).status, 403, 'not JSON');
    assert.equal((await sut.request('POST', '/console/api/dead-letters/replay', { ...json, origin }, replayBody)).status, 200);
  });

  it('shows a dead letter with its original request redacted', async () => {
    const r = await sut.request('GET', '/console/api/dead-letters/detail?location=tenant%3Aacme%3Aworkflow%3Awf_1%3Aevents&id=1-0');
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.body, /s3cr3t-value/);
    assert.match(r.body, /"task_type":"call"/);
  });

  it('refuses an unknown outcome status with 400 and an unknown outcome with 404', async () => {
    assert.equal((await sut.request('GET', '/console/api/outcomes?status=exploded')).status, 400);
    assert.equal((await sut.request('GET', '/console/api/outcomes/99')).status, 404);
  });

  it('without CONSOLE_TOKEN, writes are off for everyone', async () => {
    const open = await makeSut(null);
    try {
      const r = await open.request('POST', '/console/api/dead-letters/replay', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, replayBody);
      assert.equal(r.status, 401);
      assert.match(r.body, /no CONSOLE_TOKEN is set/);
    } finally {
      await open.close();
    }
  });
});
