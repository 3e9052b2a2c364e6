import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { TaskActivity } from '../../../src/application/activity/task-activity';
import { ListDeadLetters } from '../../../src/application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../../../src/application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../../../src/application/operations/replay-dead-letters.use-case';
import { ResolveDeadLetters } from '../../../src/application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../../../src/application/operations/show-dead-letter.use-case';
import { DeadLetterRecord, DeadLetterSummary } from '../../../src/application/ports/dead-letter-store.port';
import { ConsoleAuth, isLoopbackAddress, isLoopbackHostHeader, sameOrigin } from '../../../src/adapters/express/console/console-auth';
import { deadLetterFilter, filterDeadLetters, outcomeFilter, replayItems, resolveBody } from '../../../src/adapters/express/console/console-filters';
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

  /** The filter of `query`, which must be valid. */
  function validFilter(query: Record<string, unknown>): Exclude<ReturnType<typeof deadLetterFilter>, { problem: string }> {
    const filter = deadLetterFilter(query);
    assert.ok(!('problem' in filter), JSON.stringify(filter));
    return filter;
  }

  it('filters dead letters by workflow, task id, type and reason, newest first', () => {
    const base: DeadLetterSummary = { location: 's', messageId: '1', eventId: 'e', taskId: 'task-a-1', taskName: 'a', taskType: 'set', workflowId: 'wf_1', executionId: 'x', tenantId: 't', reason: 'PUBLICATION_FAILED: down', attempts: 3, ageMs: 5000, replays: 0, status: 'open' };
    const letters = [base, { ...base, messageId: '2', taskId: 'task-b-2', taskType: 'call', workflowId: 'wf_2', reason: 'UNKNOWN_TASK_TYPE: x', ageMs: 10 }, { ...base, messageId: '3', taskId: 'task-a-3', ageMs: 100 }];
    const ids = (query: Record<string, string>) => filterDeadLetters(letters, validFilter(query)).items.map((l) => l.messageId);
    assert.deepEqual(ids({}), ['2', '3', '1']);
    assert.deepEqual(ids({ workflow: 'wf_1' }), ['3', '1']);
    assert.deepEqual(ids({ task: 'a-3' }), ['3']);
    assert.deepEqual(ids({ type: 'call' }), ['2']);
    assert.deepEqual(ids({ reason: 'unknown_task' }), ['2']);
    assert.deepEqual(filterDeadLetters(letters, validFilter({ limit: '1' })), { total: 3, items: [letters[1]] });
  });

  it('filters dead letters by status: unresolved unless the query names a status or any; refuses an unknown one', () => {
    const base: DeadLetterSummary = { location: 's', messageId: '1', eventId: 'e', taskId: 't1', taskName: 'a', taskType: 'set', workflowId: 'wf_1', executionId: 'x', tenantId: 't', reason: 'r', attempts: 1, ageMs: 3, replays: 0, status: 'open' };
    const letters: DeadLetterSummary[] = [base, { ...base, messageId: '2', ageMs: 2, replays: 1, status: 'replayed' }, { ...base, messageId: '3', ageMs: 1, status: 'resolved', resolution: { resolvedAt: '2025-08-25T19:40:00Z', by: 'ops' } }];
    const ids = (query: Record<string, string>) => filterDeadLetters(letters, validFilter(query)).items.map((l) => l.messageId);
    assert.deepEqual(ids({}), ['2', '1']);
    assert.deepEqual(ids({ status: 'unresolved' }), ['2', '1']);
    assert.deepEqual(ids({ status: 'resolved' }), ['3']);
    assert.deepEqual(ids({ status: 'open' }), ['1']);
    assert.deepEqual(ids({ status: 'any' }), ['3', '2', '1']);
    assert.ok('problem' in deadLetterFilter({ status: 'gone' }));
  });

  it('checks a resolve body: the items and an optional note', () => {
    assert.deepEqual(resolveBody({ items: [{ location: 's', messageId: '1-0' }], note: 'fixed upstream' }), { items: [{ location: 's', messageId: '1-0' }], note: 'fixed upstream' });
    assert.deepEqual(resolveBody({ items: [{ location: 's', messageId: '1-0' }], note: '  ' }), { items: [{ location: 's', messageId: '1-0' }] });
    assert.ok('problem' in resolveBody({ items: [{ location: 's', messageId: '1-0' }], note: 5 }));
    assert.ok('problem' in resolveBody({ note: 'x' }));
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
  })([
    { location: 'tenant:acme:workflow:wf_1:events', messageId: '1-0', taskId: 'task-a-1' },
    { location: 'tenant:acme:workflow:wf_1:events', messageId: '2-0', taskId: 'task-a-2' },
    { location: 'tenant:acme:workflow:wf_1:events', messageId: '3-0', taskId: 'task-a-3' },
  ]);
  const logger = new InMemoryLogger();
  const app = express();
  app.use(
    '/console',
    consoleRouter(
      { activity, circuits: { snapshot: () => [] }, status: { live: () => ({ ok: true }), ready: () => ({ ok: true }) }, logger, deadLetters: { list: new ListDeadLetters(store), show: new ShowDeadLetter(store), replay: new ReplayDeadLetters(store), resolve: new ResolveDeadLetters(store), purge: new PurgeDeadLetters(store) } },
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
  return { store, logger, port, request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
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

  it('resolves with the bearer token, recording how and from where, with the note; hides resolved ones unless asked', async () => {
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const location = 'tenant:acme:workflow:wf_1:events';
    const body = (note?: unknown) => JSON.stringify({ items: [{ location, messageId: '2-0' }, { location, messageId: '9-0' }], ...(note !== undefined ? { note } : {}) });
    assert.equal((await sut.request('POST', '/console/api/dead-letters/resolve', { 'content-type': 'application/json' }, body())).status, 401, 'no token');
    assert.equal((await sut.request('POST', '/console/api/dead-letters/resolve', bearer, body('x'.repeat(1001)))).status, 400, 'a note too long');
    const r = await sut.request('POST', '/console/api/dead-letters/resolve', bearer, body('fixed the downstream'));
    assert.equal(r.status, 200, r.body);
    const results = (JSON.parse(r.body) as { results: Record<string, unknown>[] }).results;
    assert.deepEqual(results[0], { location, messageId: '2-0', resolved: { resolvedAt: '2025-08-25T19:40:00Z', by: 'console (bearer token, 127.0.0.1)', note: 'fixed the downstream' }, alreadyResolved: false });
    assert.deepEqual(results[1], { location, messageId: '9-0', problem: `${location} 9-0 is not a dead letter` });
    const listed = async (query: string) => (JSON.parse((await sut.request('GET', `/console/api/dead-letters${query}`)).body) as { items: { messageId: string; status: string }[] }).items.map((d) => `${d.messageId}:${d.status}`);
    assert.equal((await listed('')).includes('2-0:resolved'), false, 'resolved ones are hidden by default');
    assert.deepEqual(await listed('?status=resolved'), ['2-0:resolved']);
    assert.ok((await listed('?status=any')).includes('2-0:resolved'));
    assert.equal((await sut.request('GET', '/console/api/dead-letters?status=gone')).status, 400);
    const detail = JSON.parse((await sut.request('GET', `/console/api/dead-letters/detail?location=${encodeURIComponent(location)}&id=2-0`)).body) as { summary: { status: string; resolution?: { note?: string } } };
    assert.deepEqual([detail.summary.status, detail.summary.resolution?.note], ['resolved', 'fixed the downstream']);
    assert.ok(sut.logger.records.some((e) => e.message === 'dead letters resolved from the console'));
  });

  it('purges with the bearer token (a dead letter only), and logs which ones', async () => {
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const location = 'tenant:acme:workflow:wf_1:events';
    const body = JSON.stringify({ items: [{ location, messageId: '3-0' }, { location, messageId: '3-0' }] });
    assert.equal((await sut.request('POST', '/console/api/dead-letters/purge', { 'content-type': 'application/json' }, body)).status, 401, 'no token');
    const r = await sut.request('POST', '/console/api/dead-letters/purge', bearer, body);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual((JSON.parse(r.body) as { results: unknown[] }).results, [
      { location, messageId: '3-0', purged: { replayRecords: 0, resolution: false } },
      { location, messageId: '3-0', problem: `${location} 3-0 is not a dead letter` },
    ]);
    assert.equal((await sut.request('GET', `/console/api/dead-letters/detail?location=${encodeURIComponent(location)}&id=3-0`)).status, 404);
    const logged = sut.logger.records.find((e) => e.message === 'dead letters purged from the console');
    assert.deepEqual(logged?.fields['deadLetters'], [`${location} 3-0`]);
    assert.equal((await sut.request('POST', '/console/api/dead-letters/purge', bearer, JSON.stringify({ items: [] }))).status, 400);
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
