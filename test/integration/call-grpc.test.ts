/**
 * `call: grpc` against a real @grpc/grpc-js server started here on 127.0.0.1 (greeter.proto, which
 * imports common.proto): the documented example, the status table, deadlines, metadata and
 * redaction, collected server answers, the proto document sources and the address policy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { GreeterServer, PROTO_DIR } from './support/grpc-server';
import { Executor, LocalServer } from './support/call-harness';
import { FakeClock } from '../support/fake-clock';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { GrpcJsClient } from '../../src/adapters/grpc/grpc-js-client';
import { ProtoDocuments } from '../../src/adapters/grpc/proto-documents';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';

const TOKEN = 's3cr3t-token';

/** The JSON block that follows `marker` in docs/call-grpc.md. */
function documented(marker: string): Record<string, unknown> {
  const doc = readFileSync(path.join(__dirname, '../../docs/call-grpc.md'), 'utf8');
  const at = doc.indexOf(`<!-- ${marker} -->`);
  assert.ok(at >= 0, `docs/call-grpc.md has ${marker}`);
  const block = /```json\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(block, `a JSON block follows ${marker}`);
  return JSON.parse(block[1]!) as Record<string, unknown>;
}

function problem(c: CompletedPayload): Record<string, unknown> {
  return c.error_details ?? {};
}

function data(c: CompletedPayload): Record<string, unknown> {
  return (problem(c)['data'] ?? {}) as Record<string, unknown>;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('call: grpc against a local gRPC server', () => {
  const greeter = new GreeterServer();
  const executor = new Executor({ GRPC_PROTO_DIR: PROTO_DIR, GRPC_MAX_MESSAGES: '5', CONSOLE_TRACES: 'false' });  // untraced: the echoed traceparent is empty
  const call = (method: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    call: 'grpc',
    with: { proto: { endpoint: 'greeter.proto' }, service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port: greeter.port }, method, arguments: args, ...extra },
  });

  before(async () => {
    await greeter.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await greeter.stop();
  });

  it('runs the documented example: a unary call with bearer metadata, the token redacted', async () => {
    const task = documented('grpc-example-task');
    const withPart = task['with'] as { service: { port: number } };
    withPart.service.port = greeter.port;
    const c = await executor.run('hello', task, { input: { name: 'Ada' } });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, documented('grpc-example-output'));
    assert.equal(greeter.seen.at(-1)?.metadata['authorization'], `Bearer ${TOKEN}`, 'the token was sent as metadata');
    assert.doesNotMatch(JSON.stringify(c), new RegExp(TOKEN));
    assert.equal((c.data.input as Record<string, unknown>)['call_type'], 'grpc');
  });

  it('answers with the whole message as JSON: int64 and enums as strings, defaults present', async () => {
    const c = await executor.run('plain', call('SayHello', { person: { name: 'Bo' } }));
    assert.equal(c.success, true, c.error);
    // `authorization` is a credential's name: the outcome never shows its value, even empty.
    // The oneof `contact` names the field it holds; bytes are base64.
    assert.deepEqual(c.output, { message: 'Hello, Bo', id: '0', mood: 'MOOD_UNSPECIFIED', authorization: '***', traceparent: '', tenant: '', email: 'bo@example.test', contact: 'email', badge: 'aGk=' });
  });

  it('sends with.metadata', async () => {
    const c = await executor.run('meta', call('SayHello', { person: { name: 'Cy' } }, { metadata: { 'X-Tenant': 'acme' } }));
    assert.equal(c.success, true, c.error);
    assert.equal((c.output as Record<string, unknown>)['tenant'], 'acme');
  });

  it('reaches a service by host name', async () => {
    const c = await executor.run('by-name', { call: 'grpc', with: { proto: { endpoint: 'greeter.proto' }, service: { name: 'flunq.test.Greeter', host: 'localhost', port: greeter.port }, method: 'SayHello', arguments: { person: { name: 'Gus' } } } });
    assert.equal(c.success, true, c.error);
    assert.equal((c.output as Record<string, unknown>)['message'], 'Hello, Gus');
  });

  it('INVALID_ARGUMENT fails the task as validation (400), not retryable, with the status as output', async () => {
    const c = await executor.run('invalid', call('SayHello', { person: { name: '' } }));
    assert.equal(c.success, false);
    assert.equal(c.error, 'gRPC call failed with status INVALID_ARGUMENT (3): person.name is required');
    assert.equal(problem(c)['status'], 400);
    assert.equal(problem(c)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
    assert.equal(data(c)['code'], 'GRPC_STATUS');
    assert.equal(data(c)['grpc_status'], 'INVALID_ARGUMENT');
    assert.deepEqual(c.output, { status: 'INVALID_ARGUMENT', code: 3, details: 'person.name is required', metadata: {} });
  });

  it('UNAVAILABLE (nothing listens) is a communication failure with status 503', async () => {
    const port = await closedPort();
    const c = await executor.run('down', { ...call('SayHello', { person: { name: 'Di' } }), with: { ...(call('SayHello', { person: { name: 'Di' } })['with'] as object), service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port } } });
    assert.equal(c.success, false);
    assert.equal(problem(c)['status'], 503);
    assert.equal(problem(c)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/communication');
    assert.equal(data(c)['grpc_status'], 'UNAVAILABLE');
  });

  it('DEADLINE_EXCEEDED when the server does not answer within the task timeout (504)', async () => {
    const c = await executor.run('slow', call('SayHello', { person: { name: 'slow' } }), { config: { timeout: 1 } });
    greeter.release();
    assert.equal(c.success, false);
    assert.equal(data(c)['grpc_status'], 'DEADLINE_EXCEEDED');
    assert.equal(problem(c)['status'], 504);
  });

  it('collects the messages of a server-streaming method into an array', async () => {
    const c = await executor.run('count', call('CountTo', { to: 3 }));
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('refuses more messages than GRPC_MAX_MESSAGES', async () => {
    const c = await executor.run('count-many', call('CountTo', { to: 50 }));
    assert.equal(c.success, false);
    assert.equal(data(c)['code'], 'RESPONSE_TOO_LARGE');
    assert.equal(c.error, 'grpc call: the answer has more than 5 messages (GRPC_MAX_MESSAGES)');
  });

  it('refuses a client-streaming method, an unknown method and arguments of the wrong type', async () => {
    const collect = await executor.run('collect', call('Collect', {}));
    assert.equal(collect.error, 'grpc call: method flunq.test.Greeter/Collect takes a stream of requests (client or bidirectional streaming), which is not supported');
    const unknown = await executor.run('unknown', call('Nope', {}));
    assert.equal(unknown.error, 'grpc call: method Nope not found in service flunq.test.Greeter (methods: SayHello, CountTo, Collect)');
    const wrong = await executor.run('wrong', call('SayHello', { person: 'not an object' }));
    assert.equal(wrong.error, 'grpc call: flunq.test.Greeter/SayHello: with.arguments.person must be an object (message flunq.test.common.Person), got "not an object"');
    assert.equal(problem(wrong)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
  });

  it('refuses a misspelt field, a non-numeric id and an unknown enum name before anything is sent', async () => {
    const before = greeter.seen.length;
    const misspelt = await executor.run('misspelt', call('SayHello', { persn: { name: 'Ada' } }));
    assert.equal(misspelt.error, 'grpc call: flunq.test.Greeter/SayHello: with.arguments.persn is not a field of flunq.test.HelloRequest (fields: person)');
    assert.equal(problem(misspelt)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
    const id = await executor.run('id', call('SayHello', { person: { name: 'Ada', id: 'notanumber' } }));
    assert.equal(id.error, 'grpc call: flunq.test.Greeter/SayHello: with.arguments.person.id must be a whole number (int64; 64-bit values may be decimal digits in a string), got "notanumber"');
    const mood = await executor.run('mood', call('SayHello', { person: { name: 'Ada', mood: 'NOPE' } }));
    assert.equal(mood.error, 'grpc call: flunq.test.Greeter/SayHello: with.arguments.person.mood is not a value of enum flunq.test.common.Mood: "NOPE" (values: MOOD_UNSPECIFIED, HAPPY, GRUMPY)');
    assert.equal(greeter.seen.length, before, 'the server saw none of them');
    const valid = await executor.run('valid', call('SayHello', { person: { name: 'Ada', id: '9007199254740993', mood: 'GRUMPY' } }));
    assert.equal(valid.success, true, valid.error);
    assert.equal((valid.output as Record<string, unknown>)['id'], '9007199254740993');
    assert.equal((valid.output as Record<string, unknown>)['mood'], 'GRUMPY');
  });

  it('refuses an API key whose name is not a metadata name', async () => {
    const c = await executor.run('bad-key', call('SayHello', { person: { name: 'Hy' } }, { authentication: { apikey: { key: 'bad key', value: 'v-123', in: 'header' } } }));
    assert.match(c.error, /^grpc call: metadata bad key not allowed: /);
    assert.equal(problem(c)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
  });

  it('never reads a proto document outside GRPC_PROTO_DIR', async () => {
    const c = await executor.run('outside', { call: 'grpc', with: { proto: { endpoint: '../call-harness.ts' }, service: { name: 'x.Y', host: '127.0.0.1', port: greeter.port }, method: 'M' } });
    assert.equal(c.error, 'grpc call: proto document ../call-harness.ts is outside GRPC_PROTO_DIR');
  });
});

describe('call: grpc with a proto document by URL, and the address policy', () => {
  const greeter = new GreeterServer();
  const documents = new LocalServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname);
    if (!['greeter.proto', 'common.proto'].includes(name)) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(readFileSync(path.join(PROTO_DIR, name)));
  });
  const open = new Executor();
  const guarded = new Executor({ CALL_DENY_PRIVATE_NETWORKS: 'true', GRPC_PROTO_DIR: PROTO_DIR });
  // greeter.proto (910 bytes) fits alone; with common.proto (185 bytes), its import, it does not.
  const small = new Executor({ GRPC_MAX_PROTO_BYTES: '1024', GRPC_PROTO_DIR: PROTO_DIR });
  before(async () => {
    await greeter.start();
    await documents.start();
    await open.start();
    await guarded.start();
    await small.start();
  });
  after(async () => {
    await open.stop();
    await guarded.stop();
    await small.stop();
    await documents.stop();
    await greeter.stop();
  });

  it('fetches the document and its import by URL, once per tenant while cached', async () => {
    const task = { call: 'grpc', with: { proto: { endpoint: `${documents.origin}/protos/greeter.proto` }, service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port: greeter.port }, method: 'SayHello', arguments: { person: { name: 'Ed' } } } };
    const first = await open.run('by-url', task);
    assert.equal(first.success, true, first.error);
    assert.deepEqual(documents.seen.map((s) => s.url), ['/protos/greeter.proto', '/protos/common.proto']);
    const again = await open.run('by-url-again', task);
    assert.equal(again.success, true, again.error);
    assert.equal(documents.seen.length, 2, 'the cached document was reused');
    await open.run('other-tenant', task, { tenant: 'globex' });
    assert.equal(documents.seen.length, 4, 'another tenant loads its own copy');
  });

  it('refuses a document whose imports take it past GRPC_MAX_PROTO_BYTES, by URL and by path, naming the limit', async () => {
    const sizes = ['greeter.proto', 'common.proto'].map((name) => readFileSync(path.join(PROTO_DIR, name)).length);
    assert.ok(sizes[0]! <= 1024 && sizes[0]! + sizes[1]! > 1024, `the fixtures' sizes ${sizes.join(' + ')} straddle the limit`);
    const url = `${documents.origin}/protos/greeter.proto`;
    for (const endpoint of [url, 'greeter.proto']) {
      const c = await small.run('too-large', { call: 'grpc', with: { proto: { endpoint }, service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port: greeter.port }, method: 'SayHello', arguments: { person: { name: 'Gu' } } } });
      assert.equal(c.success, false);
      assert.equal(c.error, `grpc call: proto document ${endpoint} with its imports is larger than 1024 bytes (GRPC_MAX_PROTO_BYTES)`);
      assert.equal(data(c)['code'], 'INVALID_CONFIGURATION');
      assert.equal(problem(c)['status'], 400);
    }
  });

  it('refuses a file path when GRPC_PROTO_DIR is not set', async () => {
    const c = await open.run('no-dir', { call: 'grpc', with: { proto: { endpoint: 'file:///etc/passwd' }, service: { name: 'x.Y', host: '127.0.0.1', port: greeter.port }, method: 'M' } });
    assert.equal(c.error, 'grpc call: proto document /etc/passwd is a file path, and reading files is not allowed (GRPC_PROTO_DIR is not set; use an http(s) URL)');
  });

  it('with CALL_DENY_PRIVATE_NETWORKS, refuses a loopback service before connecting', async () => {
    const before = greeter.seen.length;
    const c = await guarded.run('denied', { call: 'grpc', with: { proto: { endpoint: 'greeter.proto' }, service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port: greeter.port }, method: 'SayHello', arguments: { person: { name: 'Fa' } } } });
    assert.equal(c.success, false);
    assert.equal(data(c)['code'], 'ADDRESS_DENIED');
    assert.equal(c.error, 'address 127.0.0.1 of 127.0.0.1 is not allowed (CALL_DENY_PRIVATE_NETWORKS)');
    assert.equal(greeter.seen.length, before, 'the server saw nothing');
  });
});

describe('the grpc-js adapter', () => {
  const greeter = new GreeterServer();
  before(() => greeter.start());
  after(() => greeter.stop());

  it('cancels a call when the task’s signal aborts', async () => {
    const documents = new ProtoDocuments(new UndiciHttpClient(new InMemoryMetrics(), DEFAULT_HTTP_CLIENT_SETTINGS), new FakeClock(), { protoDir: PROTO_DIR, maxDocumentBytes: 1 << 20, maxProtoBytes: 1 << 18, requestTimeoutMs: 5000, cacheTtlMs: 60_000, maxDocuments: 4, maxFiles: 4 });
    const client = new GrpcJsClient(documents, { maxResponseBytes: 1 << 20, maxMessages: 10, maxChannels: 2, maxChannelsPerTenant: 2 });
    try {
      const method = await client.method('acme', 'greeter.proto', 'flunq.test.Greeter', 'SayHello', 5000);
      const controller = new AbortController();
      const seen = greeter.seen.length;
      const pending = client.call(method, { tenant: 'acme', target: { host: '127.0.0.1', port: greeter.port, tls: false }, message: { person: { name: 'slow' } }, metadata: {}, timeoutMs: 60_000, signal: controller.signal });
      for (let i = 0; i < 500 && greeter.seen.length === seen; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(greeter.seen.length, seen + 1, 'the server received the call');
      controller.abort();
      await assert.rejects(pending, (e: Error & { code?: string }) => e.code === 'CANCELLED' && e.message === 'gRPC call cancelled');
    } finally {
      await client.close();
    }
  });

  it('never closes a channel with a call running to make room: the call that needs another is refused (503, retryable) until one is idle', async () => {
    const documents = new ProtoDocuments(new UndiciHttpClient(new InMemoryMetrics(), DEFAULT_HTTP_CLIENT_SETTINGS), new FakeClock(), { protoDir: PROTO_DIR, maxDocumentBytes: 1 << 20, maxProtoBytes: 1 << 18, requestTimeoutMs: 5000, cacheTtlMs: 60_000, maxDocuments: 4, maxFiles: 4 });
    const client = new GrpcJsClient(documents, { maxResponseBytes: 1 << 20, maxMessages: 10, maxChannels: 1, maxChannelsPerTenant: 1 });
    try {
      const method = await client.method('acme', 'greeter.proto', 'flunq.test.Greeter', 'SayHello', 5000);
      const seen = greeter.seen.length;
      const slow = client.call(method, { tenant: 'acme', target: { host: '127.0.0.1', port: greeter.port, tls: false }, message: { person: { name: 'slow' } }, metadata: {}, timeoutMs: 60_000 });
      for (let i = 0; i < 500 && greeter.seen.length === seen; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const other = { tenant: 'beta', target: { host: 'localhost', port: greeter.port, tls: false }, message: { person: { name: 'Bo' } }, metadata: {}, timeoutMs: 10_000 };
      await assert.rejects(client.call(method, other), (e: unknown) => {
        const error = e as { kind?: string; status?: number; retryable?: boolean; message?: string };
        assert.equal(error.message, 'grpc call: all 1 channels (the most kept open) have calls running; try again later');
        assert.deepEqual([error.kind, error.status, error.retryable], ['communication', 503, true]);
        return true;
      });
      greeter.release();
      assert.equal((await slow).code, 0, 'the running call was not cut off');
      assert.equal((await client.call(method, other)).code, 0, 'the idle channel made room');
    } finally {
      await client.close();
    }
  });

  it('holds one tenant to GRPC_MAX_CHANNELS_PER_TENANT: with calls running on all its channels it is refused (503, retryable), while another tenant opens one', async () => {
    const documents = new ProtoDocuments(new UndiciHttpClient(new InMemoryMetrics(), DEFAULT_HTTP_CLIENT_SETTINGS), new FakeClock(), { protoDir: PROTO_DIR, maxDocumentBytes: 1 << 20, maxProtoBytes: 1 << 18, requestTimeoutMs: 5000, cacheTtlMs: 60_000, maxDocuments: 4, maxFiles: 4 });
    const client = new GrpcJsClient(documents, { maxResponseBytes: 1 << 20, maxMessages: 10, maxChannels: 4, maxChannelsPerTenant: 1 });
    try {
      const method = await client.method('acme', 'greeter.proto', 'flunq.test.Greeter', 'SayHello', 5000);
      const seen = greeter.seen.length;
      const slow = client.call(method, { tenant: 'acme', target: { host: '127.0.0.1', port: greeter.port, tls: false }, message: { person: { name: 'slow' } }, metadata: {}, timeoutMs: 60_000 });
      for (let i = 0; i < 500 && greeter.seen.length === seen; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const elsewhere = { target: { host: 'localhost', port: greeter.port, tls: false }, message: { person: { name: 'Bo' } }, metadata: {}, timeoutMs: 10_000 };
      await assert.rejects(client.call(method, { ...elsewhere, tenant: 'acme' }), (e: unknown) => {
        const error = e as { kind?: string; code?: string; status?: number; retryable?: boolean; message?: string };
        assert.equal(error.message, 'grpc call: tenant acme has calls running on all 1 channels one tenant may hold (GRPC_MAX_CHANNELS_PER_TENANT); try again later');
        assert.deepEqual([error.kind, error.code, error.status, error.retryable], ['communication', 'NETWORK', 503, true]);
        return true;
      });
      assert.equal((await client.call(method, { ...elsewhere, tenant: 'beta' })).code, 0, 'another tenant is not affected');
      greeter.release();
      assert.equal((await slow).code, 0, 'the running call was not cut off');
      assert.equal((await client.call(method, { ...elsewhere, tenant: 'acme' })).code, 0, 'with its channel idle, the tenant lets go of it for another');
    } finally {
      await client.close();
    }
  });
});
