/**
 * The README's five-minute tour does what it says: the demo script takes the options the tour
 * gives it and prints the console's address; its task of an unknown type gets the failed
 * completion the README quotes and a dead letter on the console's Dead letters list; a call's trace
 * in the console goes from the caller's span through the task span to the outbound request, whose
 * traceparent the server received; replaying the dead letter needs the token (the login form's
 * cookie) and leaves two dead letters, the first replayed once; the curl example's answer carries
 * the trace; with the log-line tracing settings, a call task's span and its outbound request's span
 * are log lines of one trace. It runs on the embedded executor the demo starts, with the demo's
 * settings (the browser view itself is tested in test/e2e/console-trace.test.ts).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createExecutor } from '../../../src/config/container';
import { loadConfig } from '../../../src/config/env';
import { ExecutorService } from '../../../src/config/service';
import { codeBlocks, prose } from '../../support/markdown';
import { waitUntil } from '../../support/ops';

const root = path.resolve(__dirname, '../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
/** The README's prose with line breaks as spaces, as a browser shows an inline code span that wraps. */
const readmeText = prose(readme).replace(/\s+/g, ' ');
const TOKEN = 'tour-token-0123456789';

interface DeadLetterList {
  total: number;
  items: { location: string; messageId: string; reason: string; replays?: number }[];
}

/** The shell commands of the README's code blocks, comments and continuations folded. */
function readmeCommands(): string[] {
  return codeBlocks(readme)
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.body.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe('the README tour', () => {
  it('gives the demo options its script reads, and the console address it prints', () => {
    const commands = readmeCommands();
    const demo = readFileSync(path.join(root, 'scripts', 'demo.ts'), 'utf8');
    const run = commands.find((c) => c.endsWith('npm run demo'));
    assert.ok(run, commands.join('\n'));
    const env = Object.fromEntries([...run.matchAll(/\b([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(Object.keys(env), ['CONSOLE_TOKEN', 'DEMO_PORT']);
    assert.ok(demo.includes(`process.env['DEMO_PORT']`), 'the demo reads DEMO_PORT');
    assert.match(demo, /loadConfig\(\{\s*\.\.\.process\.env,/, 'the demo passes CONSOLE_TOKEN (the environment) to the executor');
    assert.equal(env['CONSOLE_TOKEN'], TOKEN, 'the tour token is the one this test uses');
    assert.ok(TOKEN.length >= 16, 'CONSOLE_TOKEN needs 16 characters or more');
    assert.match(demo, /process\.argv\.includes\('--once'\)/);
    assert.ok(readmeText.includes('`npm run demo -- --once`'));
    assert.match(demo, /web console: \$\{base\}\/console/);
    assert.match(readmeText, /`web console: http:\/\/127\.0\.0\.1:8083\/console`/);
    assert.match(demo, /name: 'beamUp', type: 'teleport'/);
    assert.match(demo, /trace \$\{traceparent\.split\('-'\)\[1\]\}: request traceparent \$\{traceparent\} → completion/);
  });

  describe('on the demo\'s embedded executor', () => {
    let service: ExecutorService;
    let base = '';

    before(async () => {
      // The demo's settings, with the tour's CONSOLE_TOKEN and a free port.
      const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'true', HEALTH_PORT: '0', METRICS_PORT: '0', HOSTNAME: 'demo', HEALTH_HOST: '127.0.0.1', LOG_LEVEL: 'error', CONSOLE_TOKEN: TOKEN });
      const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
      const built = await createExecutor(config, { profile: 'embedded', logStream: quiet });
      service = built.service;
      await service.start();
      base = `http://127.0.0.1:${built.healthServer?.port ?? 0}`;
    });

    after(async () => {
      await service.stop();
    });

    it('step 1: the demo\'s task of an unknown type gets the failed completion the README quotes, and a dead letter', async () => {
      const res = await fetch(`${base}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task_type: 'teleport', task_name: 'beamUp' }) });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as { status: string; completion: { success: boolean; error: string; error_details: { data: { code: string } } } };
      assert.equal(answer.status, 'completed');
      assert.equal(answer.completion.success, false);
      assert.ok(readmeText.includes(answer.completion.error), `the README quotes ${answer.completion.error}`);
      assert.equal(answer.completion.error_details.data.code, 'UNKNOWN_TASK_TYPE');
      assert.ok(readmeText.includes('`UNKNOWN_TASK_TYPE`'));

      const list = (await (await fetch(`${base}/console/api/dead-letters`)).json()) as DeadLetterList;
      assert.equal(list.total, 1, 'reading needs nothing from this machine');
      assert.match(list.items[0]!.reason, /UNKNOWN_TASK_TYPE/);
    });

    it('step 3: a call\'s trace goes from the caller\'s span through the task span to the request the server received', async () => {
      const received: string[] = [];
      const api = http.createServer((req, res) => {
        received.push(String(req.headers['traceparent']));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42,"name":"Rex"}');
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      try {
        const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/pets/42`;
        const res = await fetch(`${base}/tasks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: caller },
          body: JSON.stringify({ task_type: 'call', task_name: 'fetchPetHttp', config: { timeout: 30, parameters: { call_type: 'http', url, method: 'GET' } } }),
        });
        const answer = (await res.json()) as { traceparent: string; completion: { success: boolean } };
        assert.equal(answer.completion.success, true);
        const [, traceId, taskSpan] = answer.traceparent.split('-');
        assert.equal(traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        const trace = (await (await fetch(`${base}/console/api/traces/${traceId}`)).json()) as { spans: { spanId: string; parentSpanId?: string; name: string; kind: string; attributes: Record<string, unknown> }[] };
        const [task, call] = trace.spans;
        assert.deepEqual([task?.name, task?.kind, task?.spanId, task?.parentSpanId], ['task call', 'consumer', taskSpan, '00f067aa0ba902b7']);
        assert.deepEqual([call?.name, call?.kind, call?.parentSpanId, call?.attributes['url.path']], ['GET', 'client', taskSpan, '/pets/42']);
        assert.equal(received.at(-1), `00-${traceId}-${call?.spanId}-01`, 'the pet store received the client span\'s traceparent');
        for (const quoted of ['`task call`', '`GET`', '`CONSOLE_TRACES`']) assert.ok(readmeText.includes(quoted), quoted);
      } finally {
        api.close();
      }
    });

    it('step 4: a replay needs the token; after the login, one replay leaves two dead letters, the first replayed once', async () => {
      const [letter] = ((await (await fetch(`${base}/console/api/dead-letters`)).json()) as DeadLetterList).items;
      assert.ok(letter, 'step 3 left a dead letter');
      const replay = (headers: Record<string, string>): Promise<Response> =>
        fetch(`${base}/console/api/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ items: [{ location: letter.location, messageId: letter.messageId }] }) });
      assert.equal((await replay({})).status, 401, 'no replay without the token');

      assert.ok(readmeText.includes('log in at `/console/login`'));
      const login = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: new URLSearchParams({ token: TOKEN }).toString() });
      assert.equal(login.status, 303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      assert.match(cookie, /^flunq_console=/);
      const replayed = await replay({ cookie, origin: base });
      assert.equal(replayed.status, 200, await replayed.clone().text());

      // The replay is a new request on the stream: the executor takes it up and dead-letters it again.
      const deadLetters = async (): Promise<DeadLetterList> => (await (await fetch(`${base}/console/api/dead-letters`)).json()) as DeadLetterList;
      await waitUntil(async () => (await deadLetters()).total === 2, 10_000);
      const after = await deadLetters();
      assert.equal(after.total, 2, 'the replay was dead-lettered again');
      const first = after.items.find((i) => i.messageId === letter.messageId);
      assert.equal(first?.replays, 1);
      assert.ok(readmeText.includes('now shows two dead letters, the first with one replay'));
    });
  });

  it('step 5: the curl example runs, and with the log-line settings a call task and its request are span lines of one trace', async () => {
    const curl = readmeCommands().find((c) => c.startsWith('curl -s -XPOST 127.0.0.1:8083/tasks'));
    assert.ok(curl, 'the tour submits a task with curl');
    const body = /-d '([^']*)'/.exec(curl)?.[1];
    const traceparent = /-H 'traceparent: ([^']*)'/.exec(curl)?.[1];
    assert.ok(body && traceparent);
    const command = /`(OTEL_TRACES_EXPORTER=console[^`]*)`/.exec(readmeText)?.[1];
    assert.ok(command, 'the tour shows tracing as log lines');
    const env = Object.fromEntries([...command.matchAll(/\b([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(env, { OTEL_TRACES_EXPORTER: 'console', LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
    const filter = /grep (\S+)$/.exec(command)?.[1];
    assert.ok(filter);

    const api = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42,"name":"Rex"}'));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    let log = '';
    const capture = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        log += chunk.toString();
        done();
      },
    });
    const config = loadConfig({ EVENT_STREAM_TYPE: 'memory', EXECUTOR_SUBMIT_API: 'true', HEALTH_PORT: '0', METRICS_PORT: '0', HOSTNAME: 'demo', HEALTH_HOST: '127.0.0.1', ...env });
    const built = await createExecutor(config, { profile: 'embedded', logStream: capture });
    await built.service.start();
    try {
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/pets/42`;
      const tasks = `http://127.0.0.1:${built.healthServer?.port ?? 0}/tasks`;
      const mine = (await (await fetch(tasks, { method: 'POST', headers: { 'content-type': 'application/json', traceparent }, body })).json()) as { traceparent: string; completion: { success: boolean; output: unknown } };
      assert.equal(mine.completion.success, true);
      assert.deepEqual(mine.completion.output, { set_data: { greeting: 'hello' } });
      assert.equal(mine.traceparent.split('-')[1], traceparent.split('-')[1], 'the answer carries the same trace');
      const res = await fetch(tasks, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task_type: 'call', task_name: 'fetchPetHttp', config: { timeout: 30, parameters: { call_type: 'http', url, method: 'GET' } } }),
      });
      assert.equal(((await res.json()) as { completion: { success: boolean } }).completion.success, true);
    } finally {
      await built.service.stop(); // flushes the batched spans
      api.close();
    }
    const spans = log.split('\n').filter((l) => l.includes(filter));
    const field = (line: string, name: string): string | undefined => new RegExp(`\\b${name}=("[^"]*"|\\S+)`).exec(line)?.[1];
    const task = spans.find((l) => field(l, 'span') === '"task call"');
    const request = spans.find((l) => field(l, 'span') === 'GET');
    assert.ok(task && request, `a task span and a client span among:\n${spans.join('\n')}`);
    assert.equal(field(request, 'traceId'), field(task, 'traceId'));
    assert.equal(field(request, 'parentSpanId'), field(task, 'spanId'));
    assert.match(task, /"flunq\.task\.id":/);
    assert.match(request, /"url\.path":"\/pets\/42"/);
  });
});
