import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { After, Before, Given, Then, When } from '@cucumber/cucumber';
import nock from 'nock';
import { ExecutorWorld, TaskSpec, TENANT } from '../support/world';

/** What the fake API saw. */
interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function seen(world: ExecutorWorld): SeenRequest[] {
  let list = world.bag.get('call.requests') as SeenRequest[] | undefined;
  if (!list) {
    list = [];
    world.bag.set('call.requests', list);
  }
  return list;
}

function lastRequest(world: ExecutorWorld): SeenRequest {
  const last = seen(world).at(-1);
  assert.ok(last, 'the API received no request');
  return last;
}

function spec(world: ExecutorWorld): TaskSpec {
  const current = world.bag.get('spec') as TaskSpec | undefined;
  if (!current) throw new Error('no task described yet');
  return current;
}

type HeldAnswer = (err: NodeJS.ErrnoException | null, result: [number, string]) => void;

/** Answers the API holds back until a step releases them (a slow downstream, deterministically). */
function held(world: ExecutorWorld): HeldAnswer[] {
  let list = world.bag.get('call.held') as HeldAnswer[] | undefined;
  if (!list) {
    list = [];
    world.bag.set('call.held', list);
  }
  return list;
}

Before({ tags: '@http' }, function () {
  nock.disableNetConnect();
});

After({ tags: '@http' }, async function (this: ExecutorWorld) {
  nock.cleanAll();
  nock.enableNetConnect();
  await this.stop();
});

function record(world: ExecutorWorld, method: string, path: string, headers: Record<string, string | string[] | undefined>, body: unknown): void {
  seen(world).push({ method, path, headers, body: typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body) });
}

function intercept(world: ExecutorWorld, origin: string, method: string, path: string, status: number, body: string, headers: Record<string, string> = {}, times = 1): void {
  const scope = nock(origin);
  const matchPath = (p: string): boolean => p.split('?')[0] === path;
  scope
    .intercept(matchPath, method.toUpperCase())
    .times(times)
    .reply(function (uri, requestBody) {
      record(world, this.req.method, uri, this.req.headers, requestBody);
      return [status, body, { 'Content-Type': body.trim().startsWith('{') || body.trim().startsWith('[') ? 'application/json' : 'text/plain', ...headers }];
    });
}

Given('the API {string} answers {word} {string} with status {int} and body:', function (this: ExecutorWorld, origin: string, method: string, path: string, status: number, body: string) {
  intercept(this, origin, method, path, status, body);
});

Given('the API {string} answers {word} {string} with status {int} and body {string}', function (this: ExecutorWorld, origin: string, method: string, path: string, status: number, body: string) {
  intercept(this, origin, method, path, status, body);
});

Given('the API {string} answers {word} {string} {int} times with status {int}', function (this: ExecutorWorld, origin: string, method: string, path: string, times: number, status: number) {
  intercept(this, origin, method, path, status, '{"error":"unavailable"}', {}, times);
});

Given('the API {string} answers {word} {string} with status {int} and headers:', function (this: ExecutorWorld, origin: string, method: string, path: string, status: number, json: string) {
  intercept(this, origin, method, path, status, '', JSON.parse(json) as Record<string, string>);
});

function holdAnswers(world: ExecutorWorld, origin: string, method: string, path: string): void {
  nock(origin)
    .intercept((p: string) => p.split('?')[0] === path, method.toUpperCase())
    .times(10)
    .reply(function (uri, body, callback) {
      record(world, this.req.method, uri, this.req.headers, body);
      held(world).push(callback);
    });
}

Given('the API {string} holds its answers to {word} {string}', function (this: ExecutorWorld, origin: string, method: string, path: string) {
  holdAnswers(this, origin, method, path);
});

When('the API answers the held requests with status {int}', async function (this: ExecutorWorld, status: number) {
  for (const answer of held(this).splice(0)) answer(null, [status, '{"id": 1}']);
  await this.until('every running task has finished', () => this.completions().length > 0 && this.undeliveredCount() === 0 && (this.loop?.inFlightCount ?? 0) === 0);
});

When('the call task is published', async function (this: ExecutorWorld) {
  await this.start();
  this.submit(spec(this));
  await this.until('the API has received the call', () => seen(this).length > 0);
});

When('the call task is published twice at once', async function (this: ExecutorWorld) {
  await this.start();
  const taskId = this.nextTaskId(spec(this).taskName);
  const data = JSON.stringify(this.requestData(spec(this), taskId));
  this.submitRaw(data);
  this.submitRaw(data);
  // Both copies have been taken: each either waits for its held answer or was acknowledged.
  await this.until('both copies are running or acknowledged', () => this.undeliveredCount() === 0 && held(this).length > 0 && this.pendingCount() === held(this).length);
});

When('the same call task is published again', async function (this: ExecutorWorld) {
  const original = this.entries('io.flunq.task.requested').at(-1);
  if (!original) throw new Error('no request to publish again');
  this.broker.append('tenant:acme:workflow:wf_3f1c2a9b-8d7e-4c:events', original.fields);
  await this.until('the copy is processed', () => this.undeliveredCount() === 0 && this.pendingCount() === 0 && (this.loop?.inFlightCount ?? 0) === 0);
});

When('the executor restarts while the crashed call is still unanswered', async function (this: ExecutorWorld) {
  const before = held(this).length;
  await this.start();
  // The redelivered request either runs (a second held call) or is acknowledged.
  await this.until('the redelivered request is running or acknowledged', () => held(this).length > before || this.pendingCount() === 0);
});

Given('the API {string} resets the connection for {word} {string}', function (this: ExecutorWorld, origin: string, method: string, path: string) {
  nock(origin)
    .intercept((p: string) => p.split('?')[0] === path, method.toUpperCase())
    .times(5)
    .reply((_uri, _body, callback) => {
      record(this, method.toUpperCase(), path, {}, undefined);
      callback(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), [500, '']);
    });
});

Given('the API {string} refuses connections', function (this: ExecutorWorld, origin: string) {
  nock(origin)
    .get(() => true)
    .times(5)
    .replyWithError(Object.assign(new Error(`connect ECONNREFUSED ${new URL(origin).host}`), { code: 'ECONNREFUSED' }));
});

Given('the call task {string} with:', function (this: ExecutorWorld, taskName: string, json: string) {
  this.bag.set('spec', { taskType: 'call', taskName, parameters: JSON.parse(json) as Record<string, unknown> });
});

/** Runs the task and waits (in real time: nock and sockets are real I/O) for its outcome. */
async function runAndWait(world: ExecutorWorld, count = 1): Promise<void> {
  await world.start();
  const baseline = world.completions().length + world.deadLetters().length;
  for (let i = 0; i < count; i++) world.submit({ ...spec(world), taskName: spec(world).taskName });
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    await world.settle();
    if (world.completions().length + world.deadLetters().length >= baseline + count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no outcome within 5 s (completions: ${world.completions().length})`);
}

When('the call task runs', async function (this: ExecutorWorld) {
  await runAndWait(this);
});

When('the call task runs again', async function (this: ExecutorWorld) {
  await runAndWait(this);
});

When('the call task runs {int} times', async function (this: ExecutorWorld, count: number) {
  await runAndWait(this, count);
});

Then('the API should have received {int} request(s)', function (this: ExecutorWorld, n: number) {
  assert.equal(seen(this).length, n, JSON.stringify(seen(this).map((r) => `${r.method} ${r.path}`)));
});

Then('the API should have received {word} {string}', function (this: ExecutorWorld, method: string, pathAndQuery: string) {
  const last = lastRequest(this);
  assert.equal(`${last.method} ${last.path}`, `${method} ${pathAndQuery}`);
});

Then('the request header {string} should be {string}', function (this: ExecutorWorld, name: string, value: string) {
  const header = lastRequest(this).headers[name.toLowerCase()];
  assert.equal(Array.isArray(header) ? header.join(', ') : header, value);
});

Then('the request should have no header {string}', function (this: ExecutorWorld, name: string) {
  assert.equal(lastRequest(this).headers[name.toLowerCase()], undefined);
});

Then('the request should have no body', function (this: ExecutorWorld) {
  const last = lastRequest(this);
  assert.equal(last.body, '', `unexpected body ${last.body}`);
  assert.equal(last.headers['content-length'] ?? '0', '0');
});

Then('the request body should be the JSON:', function (this: ExecutorWorld, json: string) {
  assert.deepEqual(JSON.parse(lastRequest(this).body), JSON.parse(json));
});

Then('the request body should be {string}', function (this: ExecutorWorld, body: string) {
  assert.equal(lastRequest(this).body, body);
});

Then('no published entry should contain {string}', function (this: ExecutorWorld, secret: string) {
  const all = JSON.stringify(this.broker.entries('tenant:acme:workflow:wf_3f1c2a9b-8d7e-4c:events').filter((e) => e.fields['type'] !== 'io.flunq.task.requested'));
  assert.ok(!all.includes(secret), `a published entry contains the secret ${secret}`);
  assert.ok(!JSON.stringify(this.logger).includes(secret), 'a log line contains the secret');
});

Then('the resolved input should contain:', function (this: ExecutorWorld, json: string) {
  const input = this.completionOf().data.input;
  const expected = JSON.parse(json) as Record<string, unknown>;
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(input[k], v, `input.${k}`);
});

Then('the resolved input should not have the key {string}', function (this: ExecutorWorld, key: string) {
  assert.ok(!(key in this.completionOf().data.input));
});

Then('the error should be retryable', function (this: ExecutorWorld) {
  // Retryable errors are communication/timeout kinds; the code tells which.
  const details = this.completionOf().error_details as { type?: string } | undefined;
  assert.match(String(details?.type), /communication|timeout/);
});

Then('transport retries should have been recorded {int} time(s)', function (this: ExecutorWorld, n: number) {
  assert.equal(this.metrics.count('retries', 'transport', 'call'), n);
});

function serveDocument(world: ExecutorWorld, origin: string, path: string, contentType: string, text: string, times: number): void {
  nock(origin)
    .get(path)
    .times(times)
    .reply(function () {
      record(world, 'GET', path, this.req.headers, undefined);
      return [200, text, { 'Content-Type': contentType }];
    });
}

Given('the API {string} serves {string} as {string}:', function (this: ExecutorWorld, origin: string, path: string, contentType: string, text: string) {
  serveDocument(this, origin, path, contentType, text, 1);
});

Given('the API {string} serves {string} from the examples file {string}', function (this: ExecutorWorld, origin: string, path: string, file: string) {
  const text = readFileSync(require.resolve(`@readme/oas-examples/${file}`), 'utf8');
  serveDocument(this, origin, path, file.endsWith('.json') ? 'application/json' : 'application/yaml', text, 1);
});

Given('the API {string} fails {string} with status {int}', function (this: ExecutorWorld, origin: string, path: string, status: number) {
  nock(origin).get(path).reply(status, 'nope');
});

Then('the API should have received {int} request(s) for {string}', function (this: ExecutorWorld, n: number, path: string) {
  assert.equal(seen(this).filter((r) => r.path === path).length, n);
});

Then('the completion output should not contain {string}', function (this: ExecutorWorld, text: string) {
  assert.ok(!JSON.stringify(this.completionOf()).includes(text), `the completion contains ${text}`);
});

Then('every request should carry the Idempotency-Key of the task, followed by {string}', function (this: ExecutorWorld, suffix: string) {
  const requests = seen(this);
  assert.ok(requests.length > 0, 'the API received no request');
  for (const request of requests) assert.equal(request.headers['idempotency-key'], `"${TENANT}/${this.lastTaskId}${suffix}"`);
});
