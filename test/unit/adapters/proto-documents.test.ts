import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromJSON } from '@grpc/proto-loader';
import { parse, Root, Type } from 'protobufjs';
import { FakeClock } from '../../support/fake-clock';
import { PROTO_OPTIONS, ProtoDocuments, ProtoDocumentSettings } from '../../../src/adapters/grpc/proto-documents';
import { ProtoParseThread } from '../../../src/adapters/grpc/proto-parse-thread';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { errors, WorkflowError } from '../../../src/domain/workflow-error';

const GREETER = 'syntax = "proto3";\npackage demo;\nmessage Hello { string name = 1; }\nservice Greeter { rpc Say (Hello) returns (Hello); }\n';

const SETTINGS: ProtoDocumentSettings = { protoDir: undefined, maxDocumentBytes: 1 << 20, maxProtoBytes: 1 << 18, requestTimeoutMs: 10_000, cacheTtlMs: 60_000, maxDocuments: 8, maxFiles: 8 };

/**
 * Serves the documents only when `release` is called, as a slow server would; a request whose
 * signal aborts fails at once with CANCELLED, as the undici client does.
 */
class HeldDocuments implements HttpClient {
  readonly requests: HttpRequest[] = [];
  private readonly held: (() => void)[] = [];

  constructor(private readonly texts: Record<string, string>) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    return new Promise((resolve, reject) => {
      request.signal?.addEventListener('abort', () => reject(errors.cancelled('request cancelled')), { once: true });
      this.held.push(() => resolve({ status: 200, headers: {}, body: new TextEncoder().encode(this.texts[request.url] ?? ''), url: request.url }));
    });
  }

  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {}
}

describe('proto documents', () => {
  it('a caller whose task is cancelled stops waiting; the shared load goes on for the other caller', async () => {
    const http = new HeldDocuments({ 'http://docs/greeter.proto': GREETER });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const cancelled = new AbortController();
    const first = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, cancelled.signal);
    const second = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    cancelled.abort();
    await assert.rejects(first, (e: unknown) => e instanceof WorkflowError && e.code === 'CANCELLED' && e.detail === 'grpc call: task cancelled while loading proto document http://docs/greeter.proto');
    http.release();
    const method = await second;
    assert.equal(method.path, '/demo.Greeter/Say');
    assert.equal(http.requests.length, 1, 'one fetch for both callers');
  });

  it("a cancelled caller's own error is the signal's reason when it is a workflow error (the task's deadline)", async () => {
    const http = new HeldDocuments({ 'http://docs/greeter.proto': GREETER });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const deadline = new AbortController();
    const waiting = documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000, deadline.signal);
    deadline.abort(errors.timeout('task timed out after 5000 ms'));
    await assert.rejects(waiting, (e: unknown) => e instanceof WorkflowError && e.code === 'TIMEOUT' && e.detail === 'task timed out after 5000 ms');
    http.release();
    assert.equal((await documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 10_000)).path, '/demo.Greeter/Say', 'the load finished and is cached');
    assert.equal(http.requests.length, 1);
  });
});

/** Serves the documents at once; 404 for any other URL. */
class ServedDocuments implements HttpClient {
  readonly requests: string[] = [];

  constructor(private readonly texts: Record<string, string>) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request.url);
    const text = this.texts[request.url];
    return Promise.resolve({ status: text === undefined ? 404 : 200, headers: {}, body: new TextEncoder().encode(text ?? 'not found'), url: request.url });
  }

  async close(): Promise<void> {}
}

/** A document of `messages` messages of ten fields each, and a service taking the first (about 400 bytes a message). */
function large(messages: number): string {
  const fields = (i: number) => Array.from({ length: 10 }, (_, f) => `  string field_${i}_${f} = ${f + 1};`).join('\n');
  const body = Array.from({ length: messages }, (_, i) => `message M${i} {\n${fields(i)}\n  M${(i + 1) % messages} next = 11;\n}`).join('\n');
  return `syntax = "proto3";\npackage big;\n${body}\nservice Big { rpc Call (M0) returns (M1); }\n`;
}

describe('proto documents compiled in a worker thread', { timeout: 60_000 }, () => {
  const BIG = { ...SETTINGS, maxProtoBytes: 1 << 24, maxDocumentBytes: 1 << 24 };

  it('resolves imports next to the importing document, in rounds, each file fetched once; the built-in types need no fetch', async () => {
    const http = new ServedDocuments({
      'http://docs/api/main.proto': 'syntax = "proto3";\npackage demo;\nimport "types/a.proto";\nimport "google/protobuf/empty.proto";\nservice S { rpc Do (A) returns (google.protobuf.Empty); }\n',
      'http://docs/api/types/a.proto': 'syntax = "proto3";\npackage demo;\nimport "b.proto";\nmessage A { B b = 1; }\n',
      'http://docs/api/types/b.proto': 'syntax = "proto3";\npackage demo;\nimport weak "missing.proto";\nimport "google/protobuf/timestamp.proto";\nmessage B { google.protobuf.Timestamp at = 1; }\n',
    });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const method = await documents.method('acme', 'http://docs/api/main.proto', 'demo.S', 'Do', 10_000);
    assert.equal(method.path, '/demo.S/Do');
    assert.deepEqual(Object.keys(method.requestMessage.fields), ['b']);
    assert.equal(method.requestMessage.fields['b']?.resolve().resolvedType?.fullName, '.demo.B');
    assert.deepEqual(http.requests, ['http://docs/api/main.proto', 'http://docs/api/types/a.proto', 'http://docs/api/types/b.proto', 'http://docs/api/types/missing.proto'], 'a weak import that fails is left out, as protobufjs does');
  });

  it('a document that does not parse fails with the parser\'s message; a failed import with its own error', async () => {
    const http = new ServedDocuments({
      'http://docs/bad.proto': 'syntax = "proto3";\nmessage A { string a = ; }\n',
      'http://docs/importer.proto': 'syntax = "proto3";\nimport "gone.proto";\nmessage A { string a = 1; }\n',
    });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    await assert.rejects(documents.method('acme', 'http://docs/bad.proto', 'S', 'M', 10_000), (e: unknown) => e instanceof WorkflowError && e.code === 'INVALID_CONFIGURATION' && /^grpc call: proto document http:\/\/docs\/bad\.proto does not parse: illegal/.test(e.detail));
    await assert.rejects(documents.method('acme', 'http://docs/importer.proto', 'S', 'M', 10_000), (e: unknown) => e instanceof WorkflowError && e.code === 'DOCUMENT_FAILED' && e.detail === 'grpc call: failed to load proto document http://docs/importer.proto: http://docs/gone.proto answered with status 404');
  });

  it('a type that resolves to nothing fails the document as not parsing (it used to throw out of the load, past its callers)', async () => {
    const http = new ServedDocuments({
      'http://docs/a.proto': 'syntax = "proto3";\nimport "b.proto";\nmessage A { Missing m = 1; }\nservice S { rpc M (A) returns (A); }\n',
      'http://docs/b.proto': 'syntax = "proto3";\nmessage B {}\n',
    });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    await assert.rejects(
      documents.method('acme', 'http://docs/a.proto', 'S', 'M', 10_000),
      (e: unknown) => e instanceof WorkflowError && e.code === 'INVALID_CONFIGURATION' && e.detail === "grpc call: proto document http://docs/a.proto does not parse: no such Type or Enum 'Missing' in Type .A",
    );
  });

  it('compiles off the event loop: the loop keeps turning while a large document compiles', async () => {
    const http = new ServedDocuments({ 'http://docs/big.proto': large(1000) });
    const documents = new ProtoDocuments(http, new FakeClock(), BIG);
    let ticks = 0;
    let done = false;
    const ticking = (async () => {
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        ticks++;
      }
    })();
    const method = await documents.method('acme', 'http://docs/big.proto', 'big.Big', 'Call', 30_000);
    done = true;
    await ticking;
    assert.equal(method.requestMessage.name, 'M0');
    assert.ok(ticks > 5, `the event loop turned ${ticks} times during the compile`);
  });

  it('a compile past its time limit fails that task with a timeout; the thread is replaced and the next document compiles', async () => {
    const parser = new ProtoParseThread();
    try {
      const http = new ServedDocuments({ 'http://docs/big.proto': large(2000), 'http://docs/greeter.proto': GREETER });
      const hurried = new ProtoDocuments(http, new FakeClock(), { ...BIG, parseTimeoutMs: 1 }, parser);
      await assert.rejects(hurried.method('acme', 'http://docs/big.proto', 'big.Big', 'Call', 30_000), (e: unknown) => e instanceof WorkflowError && e.code === 'TIMEOUT' && e.detail === 'grpc call: compiling the proto document took longer than 1 ms');
      const patient = new ProtoDocuments(http, new FakeClock(), BIG, parser);
      assert.equal((await patient.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 30_000)).path, '/demo.Greeter/Say');
      assert.equal(parser.started, 2, 'the thread of the compile that ran too long was replaced');
    } finally {
      await parser.close();
    }
  });
});

/** The longest the event loop went without running a 1 ms interval while `work` ran, in ms. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  try {
    const value = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { value, stallMs };
  } finally {
    clearInterval(interval);
  }
}

describe('proto documents trimmed to the method called', { timeout: 120_000 }, () => {
  const BIG = { ...SETTINGS, maxProtoBytes: 1 << 24, maxDocumentBytes: 1 << 24 };

  it('a small method of a large document holds the event loop far less than building the whole document would', async (t) => {
    const text = `${large(2000)}message Ping { string text = 1; }\nservice Tiny { rpc Echo (Ping) returns (Ping); }\n`;
    const documents = new ProtoDocuments(new ServedDocuments({ 'http://docs/big.proto': text, 'http://docs/greeter.proto': GREETER }), new FakeClock(), BIG);
    // The parser's thread started first: its start is not the document's.
    await documents.method('acme', 'http://docs/greeter.proto', 'demo.Greeter', 'Say', 60_000);
    const { value: method, stallMs } = await longestStall(() => documents.method('acme', 'http://docs/big.proto', 'big.Tiny', 'Echo', 60_000));
    assert.equal(method.requestMessage.fullName, '.big.Ping');
    assert.equal(method.requestMessage.root.lookup('big.M0'), null, 'the types the method does not use are left out');
    // What the event loop did per document before: build the whole compiled document from its JSON.
    const json = parse(text, { keepCase: true }).root.toJSON();
    const started = performance.now();
    Root.fromJSON(json);
    fromJSON(json, PROTO_OPTIONS);
    const wholeMs = performance.now() - started;
    t.diagnostic(`event loop held ${stallMs.toFixed(0)} ms at most; the whole document builds in ${wholeMs.toFixed(0)} ms`);
    assert.ok(stallMs * 5 < wholeMs, `the event loop was held ${stallMs.toFixed(0)} ms at most, building the whole document takes ${wholeMs.toFixed(0)} ms`);
  });

  it('keeps what the method needs: nested, imported, map and enum types, resolved from the referring scope outward', async () => {
    const http = new ServedDocuments({
      'http://docs/main.proto': [
        'syntax = "proto3";\npackage shop.v1;\nimport "units.proto";',
        'message Item { string name = 1; }',
        'message Order {',
        '  message Item { int32 qty = 1; Kind kind = 2; enum Kind { KIND_UNSPECIFIED = 0; BOX = 1; } }',
        '  repeated Item items = 1;',
        '  map<string, shop.v1.Item> catalogue = 2;',
        '  map<int32, Weight> weights = 3;',
        '  oneof pay { string card = 4; Coupon coupon = 5; }',
        '  message Coupon { string code = 1; }',
        '}',
        'message Unused { string x = 1; }',
        'service Shop { rpc Place (Order) returns (shop.units.Weight); rpc Other (Unused) returns (Unused); }',
      ].join('\n'),
      'http://docs/units.proto': 'syntax = "proto3";\npackage shop.units;\nenum Unit { UNIT_UNSPECIFIED = 0; KG = 1; }\nmessage Weight { double value = 1; Unit unit = 2; }\n',
    });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const method = await documents.method('acme', 'http://docs/main.proto', 'shop.v1.Shop', 'Place', 10_000);
    const order = { items: [{ qty: 2, kind: 'BOX' }], catalogue: { a: { name: 'apple' } }, weights: { '7': { value: 1.5, unit: 'KG' } }, coupon: { code: 'X1' } };
    const decoded = method.requestDeserialize(method.requestSerialize(order)) as Record<string, unknown>;
    assert.deepEqual(decoded, { ...order, pay: 'coupon' });
    const reply = method.responseDeserialize(method.responseSerialize({ value: 2, unit: 'KG' })) as Record<string, unknown>;
    assert.deepEqual(reply, { value: 2, unit: 'KG' });
    const root = method.requestMessage.root;
    assert.equal(root.lookup('shop.v1.Unused'), null);
    assert.deepEqual(Object.keys(root.lookupService('shop.v1.Shop').methods), ['Place'], 'the service with the method called alone');
    await assert.rejects(documents.method('acme', 'http://docs/main.proto', 'shop.v1.Shop', 'Nope', 10_000), (e: unknown) => e instanceof WorkflowError && e.detail === 'grpc call: method Nope not found in service shop.v1.Shop (methods: Place, Other)');
    await assert.rejects(documents.method('acme', 'http://docs/main.proto', 'shop.Shop', 'Place', 10_000), (e: unknown) => e instanceof WorkflowError && e.detail === 'grpc call: service shop.Shop not found in http://docs/main.proto (services: shop.v1.Shop)');
  });

  it('names each kept field\'s type in full, so that leaving out an unused type never changes what a relative name resolves to', async () => {
    const main = [
      'syntax = "proto3";\npackage p;\nimport "q.proto";',
      'message b { string unused = 1; }',
      'message Z { message b { message Foo { string s = 1; } } }',
      'message Req { b.Foo f = 1; Z.b.Foo g = 2; }',
      'service S { rpc Call (Req) returns (Req); }',
    ].join('\n');
    const imported = 'syntax = "proto3";\npackage q;\nmessage b { message Foo { int64 n = 1; } }\n';
    // What each field is in the whole document, as protobufjs resolves it.
    const whole = new Root();
    parse(imported, whole, { keepCase: true });
    parse(main, whole, { keepCase: true });
    whole.resolveAll();
    const expected = whole.lookupType('p.Req').fieldsArray.map((f) => [f.name, (f.resolvedType as Type).fullName]);
    const documents = new ProtoDocuments(new ServedDocuments({ 'http://docs/shadow.proto': main, 'http://docs/q.proto': imported }), new FakeClock(), SETTINGS);
    const method = await documents.method('acme', 'http://docs/shadow.proto', 'p.S', 'Call', 10_000);
    const trimmed = method.requestMessage.fieldsArray.map((f) => [f.name, (f.resolve().resolvedType as Type).fullName]);
    assert.deepEqual(trimmed, expected);
  });

  it('keeps the whole document for a method whose messages hold an Any: the type an Any carries is named at run time', async () => {
    const http = new ServedDocuments({ 'http://docs/any.proto': 'syntax = "proto3";\npackage box;\nimport "google/protobuf/any.proto";\nmessage Parcel { google.protobuf.Any content = 1; }\nmessage Book { string title = 1; }\nservice Post { rpc Send (Parcel) returns (Parcel); }\n' });
    const documents = new ProtoDocuments(http, new FakeClock(), SETTINGS);
    const method = await documents.method('acme', 'http://docs/any.proto', 'box.Post', 'Send', 10_000);
    const parcel = { content: { '@type': 'type.googleapis.com/box.Book', title: 'Dune' } };
    assert.deepEqual(method.requestDeserialize(method.requestSerialize(parcel)), { content: { type_url: 'type.googleapis.com/box.Book', value: Buffer.from([10, 4, 68, 117, 110, 101]).toString('base64') } });
  });
});
