import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { ParserAsyncApiDocuments } from '../../../src/adapters/asyncapi/asyncapi-document-source';
import { AsyncApiParseThread } from '../../../src/adapters/asyncapi/asyncapi-parse-thread';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { WorkflowError } from '../../../src/domain/workflow-error';
import { asyncApiPayloadValidator } from '../../../src/config/modules/asyncapi.module';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'asyncapi');

/** Serves the given texts by URL and counts the fetches. */
class TextServer implements HttpClient {
  fetched: string[] = [];
  constructor(private readonly texts: Record<string, string>) {}
  send(request: HttpRequest): Promise<HttpResponse> {
    this.fetched.push(request.url);
    const text = this.texts[request.url];
    return Promise.resolve({ status: text === undefined ? 404 : 200, headers: {}, body: new TextEncoder().encode(text ?? ''), url: request.url });
  }
  async close(): Promise<void> {}
}

function fixture(file: string): string {
  return fs.readFileSync(path.join(FIXTURES, file), 'utf8').replaceAll('{{ADDRESS}}', 'orders.placed').replace(/\{\{\w+_HOST\}\}/g, 'broker:1').replaceAll('{{NATS_IP}}', '10.0.0.1');
}

describe('AsyncAPI documents (@asyncapi/parser)', { timeout: 30_000 }, () => {
  const http = new TextServer({
    'http://d/3.0': fixture('orders-3.0.yaml'),
    'http://d/2.6': fixture('orders-2.6.yaml'),
    'http://d/external': 'asyncapi: 3.0.0\ninfo: {title: x, version: "1"}\ncomponents:\n  schemas:\n    a: {$ref: "file:///etc/passwd"}\n',
    'http://d/invalid': 'asyncapi: 3.0.0\ninfo: {title: x}\n',
  });
  const documents = new ParserAsyncApiDocuments(http, new FakeClock());

  it('maps a 3.0 document: servers, operations with their channel, messages, schemas and reply', async () => {
    const model = await documents.load('acme', 'http://d/3.0');
    assert.equal(model.version, '3.0.0');
    assert.deepEqual(model.servers.map((s) => [s.name, s.protocol, s.host]), [['rabbit', 'amqp', 'broker:1'], ['mosquitto', 'mqtt', 'broker:1'], ['nats', 'nats', 'broker:1'], ['regional', 'nats', '10.0.0.1:{port}']]);
    assert.deepEqual(model.servers[3]?.variables, { port: { default: '1' } });
    const place = model.operations.find((o) => o.id === 'placeOrder');
    assert.equal(place?.channel.address, 'orders.placed');
    assert.deepEqual(place?.reply, { address: null });
    assert.deepEqual(place?.messages.map((m) => m.name), ['order']);
    assert.deepEqual(place?.messages[0]?.payload?.['required'], ['id', 'quantity']);
    assert.ok(!JSON.stringify(place?.messages[0]?.payload).includes('x-parser'), 'parser annotations removed');
    assert.equal(model.operations.find((o) => o.id === 'notifyOrder')?.reply, undefined);
  });

  it('maps a 2.6 document: channels by name, the publish operation by operationId', async () => {
    const model = await documents.load('acme', 'http://d/2.6');
    assert.equal(model.version, '2.6.0');
    assert.deepEqual(model.channels.map((c) => [c.name, c.address]), [['orders.placed', 'orders.placed']]);
    assert.deepEqual(model.operations.map((o) => [o.id, o.action]), [['submitOrder', 'publish']]);
    assert.deepEqual(model.servers.map((s) => s.host), ['broker:1', 'broker:1', 'broker:1']);
  });

  it('caches per tenant and URL', async () => {
    const before = http.fetched.length;
    await documents.load('acme', 'http://d/3.0');
    assert.equal(http.fetched.length, before);
    await documents.load('other', 'http://d/3.0');
    assert.equal(http.fetched.length, before + 1);
  });

  it('refuses external references, invalid documents and failed fetches', async () => {
    await assert.rejects(documents.load('acme', 'http://d/external'), (e: unknown) => e instanceof WorkflowError && e.kind === 'configuration' && /external reference file:\/\/\/etc\/passwd/.test(e.detail));
    await assert.rejects(documents.load('acme', 'http://d/invalid'), (e: unknown) => e instanceof WorkflowError && e.kind === 'configuration' && e.detail.startsWith('not a usable AsyncAPI document: '));
    await assert.rejects(documents.load('acme', 'http://d/missing'), (e: unknown) => e instanceof WorkflowError && e.code === 'DOCUMENT_FAILED' && e.detail === 'failed to fetch document: HTTP 404');
  });
});

describe('the AsyncAPI parse thread', { timeout: 60_000 }, () => {
  it('parses off the event loop, and a parse past its time limit fails alone: the next one gets a fresh thread', async () => {
    const thread = new AsyncApiParseThread();
    try {
      const text = fixture('orders-3.0.yaml');
      // Loading the parser alone takes far longer than 1 ms: this parse hits its limit.
      await assert.rejects(thread.parse(text, 'http://d/3.0', 1), (e: unknown) => e instanceof WorkflowError && e.kind === 'timeout' && /longer than 1 ms/.test(e.detail));
      // Meanwhile the event loop was free: a timer set now fires long before a parse could end.
      const parsed = thread.parse(text, 'http://d/3.0', 30_000);
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const model = await parsed;
      clearInterval(ticker);
      assert.equal(model.version, '3.0.0');
      assert.ok(ticks > 3, `the event loop ran ${ticks} timer ticks during the parse`);
      assert.equal(thread.started, 2, 'the thread of the parse that ran too long was replaced');
    } finally {
      await thread.close();
    }
  });

  it('serves tenants in turns: one tenant\'s backlog of documents does not hold up another tenant\'s', async () => {
    const thread = new AsyncApiParseThread({ maxMemoryMb: 256 });
    try {
      const text = fixture('orders-3.0.yaml');
      const done: string[] = [];
      const parse = (tenant: string, name: string) => thread.parse(text, `http://d/${name}`, 30_000, tenant).then(() => done.push(name));
      await Promise.all([parse('noisy', 'n1'), parse('noisy', 'n2'), parse('noisy', 'n3'), parse('noisy', 'n4'), parse('calm', 'c1')]);
      // n1 was already being parsed when the others came; c1 then waits for one noisy document, not three.
      assert.deepEqual(done, ['n1', 'n2', 'c1', 'n3', 'n4']);
    } finally {
      await thread.close();
    }
  });

  it('refuses at once, as BUSY, a document beyond a tenant\'s share of the queue, and never parses one whose caller gave up', async () => {
    const thread = new AsyncApiParseThread({ maxMemoryMb: 256, maxQueuedPerTenant: 2, maxQueued: 3 });
    try {
      const text = fixture('orders-3.0.yaml');
      const running = thread.parse(text, 'http://d/r', 30_000, 'noisy');
      const waiting = [thread.parse(text, 'http://d/w1', 30_000, 'noisy'), thread.parse(text, 'http://d/w2', 30_000, 'noisy')];
      await assert.rejects(thread.parse(text, 'http://d/w3', 30_000, 'noisy'), (e: unknown) => e instanceof WorkflowError && e.code === 'BUSY' && e.retryable && /of this tenant/.test(e.detail));
      // Its time runs out while it waits behind the others: it fails without a parse.
      const late = thread.parse(text, 'http://d/late', 1, 'calm');
      await assert.rejects(thread.parse(text, 'http://d/x', 30_000, 'other'), (e: unknown) => e instanceof WorkflowError && e.code === 'BUSY' && /at most 3/.test(e.detail));
      await assert.rejects(late, (e: unknown) => e instanceof WorkflowError && e.kind === 'timeout' && /waited for the parser/.test(e.detail));
      await Promise.all([running, ...waiting]);
      assert.equal(thread.started, 1, 'no parse ran past its limit: the thread was never replaced');
    } finally {
      await thread.close();
    }
  });
});

describe('ajv payload validation', () => {
  it("checks a document's backtracking patterns (^(a+)+$) in linear time: many a's and a '!' are refused at once", async () => {
    const documents = new ParserAsyncApiDocuments(new TextServer({ 'http://d/backtracking': [
      'asyncapi: 3.0.0',
      'info: {title: Codes, version: "1"}',
      'channels:',
      '  codes:',
      '    address: codes',
      '    messages:',
      '      code:',
      '        payload:',
      '          type: object',
      '          properties:',
      "            code: {type: string, pattern: '^(a+)+$'}",
      "          patternProperties: {'^(b+)+$': {type: integer}}",
      'operations:',
      '  sendCode: {action: send, channel: {$ref: "#/channels/codes"}}',
    ].join('\n') }), new FakeClock());
    try {
      const schema = (await documents.load('acme', 'http://d/backtracking')).operations[0]?.messages[0]?.payload;
      assert.ok(schema);
      const validator = asyncApiPayloadValidator();
      // JavaScript's own engine takes seconds (about 2^27 steps) on each of these two checks.
      const hostile = `${'a'.repeat(27)}!`;
      const started = performance.now();
      const violations = validator.validate(schema, { code: hostile, [`${'b'.repeat(27)}!`]: 'not checked: the name does not match' });
      const elapsedMs = performance.now() - started;
      assert.deepEqual(violations, [{ pointer: '/code', rule: 'pattern', message: 'must match pattern "^(a+)+$"' }]);
      assert.ok(elapsedMs < 300, `validation took ${elapsedMs.toFixed(0)} ms`);
      assert.deepEqual(validator.validate(schema, { code: 'aaaa', bbb: 'x' }), [{ pointer: '/bbb', rule: 'type', message: 'must be integer' }]);
    } finally {
      await documents.close();
    }
  });

  it('enforces each pattern of a schema with its own expression', () => {
    const schema = { type: 'object', properties: { kind: { type: 'string', pattern: '^k[0-9]$' }, zone: { type: 'string', pattern: '^z-[a-z]+$' } } };
    const validator = asyncApiPayloadValidator();
    assert.deepEqual(validator.validate(schema, { kind: 'k1', zone: 'z-eu' }), []);
    assert.deepEqual(validator.validate(schema, { kind: 'z-eu', zone: 'k1' }).map((v) => v.pointer), ['/kind', '/zone']);
  });

  it('leaves a pattern RE2 cannot run (lookahead) unenforced, and refuses a search too costly for its text', () => {
    const validator = asyncApiPayloadValidator();
    assert.deepEqual(validator.validate({ type: 'string', pattern: '^(?=x)' }, 'y'), []);
    const costly = { type: 'string', pattern: '(a|b|c|d){500}' };
    assert.throws(
      () => validator.validate(costly, 'a'.repeat(200_000)),
      (e: unknown) => e instanceof WorkflowError && e.code === 'MESSAGE_INVALID' && /the message cannot be checked against its schema: pattern "\(a\|b\|c\|d\)\{500\}" is too costly to search a text of 200000 characters/.test(e.detail ?? ''),
    );
  });

  it('refuses a schema that expands past the bound (one schema shared at every level, or a cycle) before compiling it', () => {
    let shared: Record<string, unknown> = { type: 'string' };
    for (let level = 0; level < 30; level++) shared = { type: 'object', properties: { left: shared, right: shared } };
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic['properties'] = { next: cyclic };
    const validator = asyncApiPayloadValidator();
    for (const schema of [shared, cyclic]) {
      const started = performance.now();
      assert.throws(
        () => validator.validate(schema, {}),
        (e: unknown) => e instanceof WorkflowError && e.kind === 'configuration' && e.detail === "asyncapi call failed: the document's message schema is too large to check: more than 1000 subschemas (shared ones counted each time they are used)",
      );
      assert.ok(performance.now() - started < 200);
    }
    const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`f${i}`, { type: 'integer' }])) };
    assert.deepEqual(validator.validate(wide, { f1: 'x' }), [{ pointer: '/f1', rule: 'type', message: 'must be integer' }]);
  });

  it('names the pointer and the rule, never the value', () => {
    const violations = asyncApiPayloadValidator().validate({ type: 'object', properties: { n: { type: 'integer', minimum: 1 }, mail: { type: 'string', format: 'email' } } }, { n: -424242, mail: 'not-an-address-777' });
    assert.deepEqual(violations, [
      { pointer: '/n', rule: 'minimum', message: 'must be >= 1' },
      { pointer: '/mail', rule: 'format', message: 'must match format "email"' },
    ]);
  });
});
