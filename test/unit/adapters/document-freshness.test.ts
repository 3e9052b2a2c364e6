import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { InMemoryDocumentCache } from '../../../src/adapters/memory/in-memory-document-cache';
import { LoadForm } from '../../../src/adapters/openapi/document-worker';
import { OasDocumentSource, sharedDocumentKey } from '../../../src/adapters/openapi/oas-document-source';
import { DocumentWorkers, HeldDocument } from '../../../src/adapters/openapi/held-document';
import { CachedDocument, DocumentCache } from '../../../src/application/ports/document-cache.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { OperationSecurity, PreparedOperation } from '../../../src/application/ports/openapi-document-source.port';
import { errors, isWorkflowError, WorkflowError } from '../../../src/domain/workflow-error';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';

const URL_ = 'https://docs.test/petstore.json';
const TTL = 60_000;
const MAX_STALE = 3_600_000;

/** An origin serving one document with an ETag and Last-Modified, answering conditional requests; it can be down. */
class FakeOrigin implements HttpClient {
  readonly requests: HttpRequest[] = [];
  version = '1.0.0';
  /** The URL the document came from after redirects. */
  servedFrom = URL_;
  state: 'up' | 'refusing' | 'failing' | 'gone' = 'up';

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    if (this.state === 'refusing') return Promise.reject(new WorkflowError({ kind: 'communication', code: 'NETWORK', title: 'Communication Failed', detail: 'connect ECONNREFUSED', retryable: true }));
    if (this.state === 'failing') return Promise.resolve(this.response(503, ''));
    if (this.state === 'gone') return Promise.resolve(this.response(404, ''));
    const etag = `"v${this.version}"`;
    if (request.headers['If-None-Match'] === etag) return Promise.resolve(this.response(304, '', { etag: [etag] }));
    return Promise.resolve(this.response(200, JSON.stringify({ openapi: '3.0.0', info: { version: this.version } }), { etag: [etag], 'last-modified': ['Wed, 21 Oct 2026 07:28:00 GMT'], 'content-type': ['application/json'] }));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  conditional(): string[] {
    return this.requests.map((r) => r.headers['If-None-Match'] ?? 'none');
  }
  private response(status: number, body: string, headers: Record<string, string[]> = {}): HttpResponse {
    return { status, headers, body: new TextEncoder().encode(body), url: this.servedFrom };
  }
}

class FakeHeld implements HeldDocument {
  loaded = true;
  dropped = false;
  constructor(readonly info: { version?: string; sha256?: string; stored?: Uint8Array; bytes?: number }) {}
  operationIds(): string[] {
    return ['op'];
  }
  securitySchemeNames(): string[] {
    return [];
  }
  prepare(operationId: string): Promise<PreparedOperation> {
    return Promise.resolve({ operationId, method: 'GET', url: `https://api.test/${this.info.version ?? ''}`, headers: {} });
  }
  validateRequest(): Promise<never[]> {
    return Promise.resolve([]);
  }
  prepareValidated(): Promise<{ issues: never[] }> {
    return Promise.resolve({ issues: [] });
  }
  validateResponse(): Promise<never[]> {
    return Promise.resolve([]);
  }
  security(): Promise<OperationSecurity> {
    return Promise.resolve({ requirements: [], schemes: {} });
  }
  drop(): void {
    this.dropped = true;
  }
}

/** Workers that parse JSON; the stored form is the JSON text itself. Records how each document was loaded. */
class FakeWorkers implements DocumentWorkers {
  readonly loads: { form: 'fetched' | 'stored'; held: FakeHeld }[] = [];
  load(_tenant: string, body: Uint8Array, _contentType: string, _url: string, _timeoutMs: number, form: LoadForm = {}): Promise<HeldDocument> {
    const text = new TextDecoder().decode(body);
    let parsed: { info?: { version?: string } };
    try {
      parsed = JSON.parse(text) as { info?: { version?: string } };
    } catch {
      return Promise.reject(new WorkflowError({ kind: 'configuration', code: 'DOCUMENT_FAILED', title: 'Invalid OpenAPI Document', detail: 'not JSON' }));
    }
    const info: FakeHeld['info'] = { bytes: body.byteLength };
    if (parsed.info?.version !== undefined) info.version = parsed.info.version;
    if (!form.stored) info.sha256 = createHash('sha256').update(body).digest('hex');
    if (form.keep !== undefined) info.stored = body.slice();
    const held = new FakeHeld(info);
    this.loads.push({ form: form.stored ? 'stored' : 'fetched', held });
    return Promise.resolve(held);
  }
  whenIdle(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

interface Replica {
  source: OasDocumentSource;
  workers: FakeWorkers;
}

function makeSut(options: { shared?: boolean; maxStaleMs?: number } = {}) {
  const origin = new FakeOrigin();
  const clock = new FakeClock();
  const metrics = new InMemoryMetrics();
  const logger = new InMemoryLogger();
  const shared = options.shared ? new InMemoryDocumentCache(clock, 1e9) : undefined;
  /** A replica (or a restarted process): its own in-process cache and workers, the same origin and shared cache. */
  const replica = (cache: DocumentCache | undefined = shared): Replica => {
    const workers = new FakeWorkers();
    const bounds = { tenantDocuments: 100, tenantBytes: 1e9, documents: 100, bytes: 1e9 };
    const source = new OasDocumentSource(origin, clock, metrics, { cacheTtlMs: TTL, requestTimeoutMs: 1_000, maxDocumentBytes: 1e6, bounds, maxStaleMs: options.maxStaleMs ?? MAX_STALE }, workers, cache, logger);
    return { source, workers };
  };
  return { origin, clock, metrics, logger, shared, replica };
}

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    if (isWorkflowError(error)) return error;
    throw error;
  }
  assert.fail('expected a failure');
}

describe('OpenAPI document freshness', () => {
  it('stores where a redirect led without its query and fragment (a presigned URL\'s signature stays out of the shared cache)', async () => {
    const { origin, shared, replica } = makeSut({ shared: true });
    origin.servedFrom = 'https://bucket.s3.test/docs/petstore.json?X-Amz-Signature=0123abcd&X-Amz-Expires=300#top';
    await replica().source.load('acme', URL_);
    const entry = await shared?.get(sharedDocumentKey('acme', URL_));
    assert.equal(entry?.finalUrl, 'https://bucket.s3.test/docs/petstore.json');
  });

  it('uses a copy without asking the origin within the TTL, then revalidates it with If-None-Match and keeps it on 304', async () => {
    const { origin, clock, metrics, replica } = makeSut();
    const { source, workers } = replica();
    const first = await source.load('acme', URL_);
    await clock.advance(TTL - 1);
    assert.equal(await source.load('acme', URL_), first);
    assert.deepEqual(origin.conditional(), ['none']);
    await clock.advance(1);
    const again = await source.load('acme', URL_);
    assert.deepEqual(origin.conditional(), ['none', '"v1.0.0"']);
    assert.equal(origin.requests[1]?.headers['If-Modified-Since'], 'Wed, 21 Oct 2026 07:28:00 GMT');
    assert.equal(again, first, 'the copy the origin confirmed is the one in use');
    assert.equal(workers.loads.length, 1, 'nothing parsed again');
    assert.equal(workers.loads[0]?.held.dropped, false);
    await clock.advance(TTL - 1);
    await source.load('acme', URL_);
    assert.equal(origin.requests.length, 2, 'the 304 started a new TTL');
    assert.equal(metrics.count('document_cache', 'revalidated', 'process'), 1);
    assert.equal(metrics.count('document_cache', 'miss', 'process'), 1);
  });

  it('replaces the copy when the origin sends a new document, and reports its version and hash', async () => {
    const { origin, clock, replica } = makeSut();
    const { source, workers } = replica();
    const first = await source.load('acme', URL_);
    assert.equal(first.identity?.version, '1.0.0');
    origin.version = '1.1.0';
    await clock.advance(TTL);
    const second = await source.load('acme', URL_);
    assert.equal(second.identity?.version, '1.1.0');
    assert.notEqual(second.identity?.sha256, first.identity?.sha256);
    assert.match(second.identity?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(workers.loads[0]?.held.dropped, true, 'the old copy is dropped from its worker');
  });

  it('serves the stale copy with a warning while the origin is down, asks again after a while, and fails once it is older than the max-stale', async () => {
    const { origin, clock, metrics, logger, replica } = makeSut({ maxStaleMs: 120_000 });
    const { source } = replica();
    const first = await source.load('acme', URL_);
    origin.state = 'refusing';
    await clock.advance(TTL);
    assert.equal(await source.load('acme', URL_), first);
    assert.equal(metrics.count('document_cache', 'stale', 'process'), 1);
    const warning = logger.records.find((r) => r.level === 'warn' && /stale/.test(r.message));
    assert.equal(warning?.fields['code'], 'NETWORK');
    assert.equal(origin.requests.length, 2);
    await clock.advance(29_000);
    await source.load('acme', URL_);
    assert.equal(origin.requests.length, 2, 'a down origin is not asked on every call');
    await clock.advance(1_000);
    origin.state = 'failing';
    assert.equal(await source.load('acme', URL_), first, 'a 503 is an origin down too');
    assert.equal(origin.requests.length, 3);
    await clock.advance(TTL + 120_000 - 30_000);
    const error = await failure(source.load('acme', URL_));
    assert.equal(error.code, 'DOCUMENT_FAILED');
    assert.match(error.detail, /HTTP 503/);
  });

  it('does not serve a stale copy of a document its origin says is gone', async () => {
    const { origin, clock, replica } = makeSut();
    const { source } = replica();
    await source.load('acme', URL_);
    origin.state = 'gone';
    await clock.advance(TTL);
    const error = await failure(source.load('acme', URL_));
    assert.equal(error.code, 'DOCUMENT_FAILED');
    assert.match(error.detail, /HTTP 404/);
  });

  it('fails with DOCUMENT_FAILED when the origin is down and there is no copy', async () => {
    const { origin, replica, metrics } = makeSut({ shared: true });
    origin.state = 'refusing';
    const error = await failure(replica().source.load('acme', URL_));
    assert.equal(error.code, 'NETWORK');
    assert.equal(error.kind, 'communication');
    assert.equal(metrics.count('document_cache', 'stale', 'memory'), 0);
  });

  it('asks the origin about a fresh copy when asked to revalidate, unless it confirmed it less than a second ago', async () => {
    const { origin, clock, replica } = makeSut();
    const { source } = replica();
    const first = await source.load('acme', URL_);
    assert.equal(await source.load('acme', URL_, undefined, { revalidate: true }), first);
    assert.deepEqual(origin.conditional(), ['none']);
    await clock.advance(1_000);
    assert.equal(await source.load('acme', URL_, undefined, { revalidate: true }), first);
    assert.deepEqual(origin.conditional(), ['none', '"v1.0.0"']);
  });
});

describe('OpenAPI documents shared across replicas and restarts', () => {
  it('a second replica finds the document fetched by the first, without asking the origin', async () => {
    const { origin, metrics, replica, shared } = makeSut({ shared: true });
    const a = await replica().source.load('acme', URL_);
    const second = replica();
    const b = await second.source.load('acme', URL_);
    assert.equal(origin.requests.length, 1);
    assert.deepEqual(b.identity, a.identity);
    assert.deepEqual(second.workers.loads.map((l) => l.form), ['stored'], 'parsed from the stored form, in the worker');
    assert.equal(metrics.count('document_cache', 'hit', 'memory'), 1);
    const entry = await shared?.get(sharedDocumentKey('acme', URL_));
    assert.equal(entry?.etag, '"v1.0.0"');
    assert.equal(entry?.version, '1.0.0');
    assert.equal(entry?.sha256, a.identity?.sha256);
  });

  it('after a restart past the TTL, revalidates the shared copy with If-None-Match and keeps it on 304 for every replica', async () => {
    const { origin, clock, metrics, replica, shared } = makeSut({ shared: true });
    await replica().source.load('acme', URL_);
    await clock.advance(TTL + 1);
    const restarted = replica();
    const document = await restarted.source.load('acme', URL_);
    assert.deepEqual(origin.conditional(), ['none', '"v1.0.0"']);
    assert.equal(document.identity?.version, '1.0.0');
    assert.deepEqual(restarted.workers.loads.map((l) => l.form), ['stored']);
    assert.equal(metrics.count('document_cache', 'revalidated', 'memory'), 1);
    assert.equal((await shared?.get(sharedDocumentKey('acme', URL_)))?.validatedAtMs, clock.now(), 'the shared copy is confirmed for the others');
    await replica().source.load('acme', URL_);
    assert.equal(origin.requests.length, 2);
  });

  it('serves the shared copy stale to a restarted replica while the origin is down', async () => {
    const { origin, clock, metrics, replica } = makeSut({ shared: true });
    const a = await replica().source.load('acme', URL_);
    origin.state = 'refusing';
    await clock.advance(TTL * 10);
    const b = await replica().source.load('acme', URL_);
    assert.deepEqual(b.identity, a.identity);
    assert.equal(metrics.count('document_cache', 'stale', 'memory'), 1);
  });

  it('never hands one tenant the shared copy of another', async () => {
    const { origin, replica } = makeSut({ shared: true });
    await replica().source.load('acme', URL_);
    const other = replica();
    await other.source.load('globex', URL_);
    assert.equal(origin.requests.length, 2);
    assert.deepEqual(other.workers.loads.map((l) => l.form), ['fetched']);
    assert.notEqual(sharedDocumentKey('acme', URL_), sharedDocumentKey('globex', URL_));
  });

  it('ignores a shared entry that does not parse, and fetches the document again', async () => {
    const { origin, replica, shared, logger } = makeSut({ shared: true });
    const a = await replica().source.load('acme', URL_);
    const key = sharedDocumentKey('acme', URL_);
    const entry = (await shared?.get(key)) as CachedDocument;
    await shared?.put(key, { ...entry, body: new TextEncoder().encode('{poisoned') }, TTL);
    const b = await replica().source.load('acme', URL_);
    assert.equal(origin.requests.length, 2);
    assert.deepEqual(b.identity, a.identity);
    assert.ok(logger.records.some((r) => r.level === 'warn' && /unusable entry/.test(r.message)));
  });

  it('fetches the document in full when the origin confirms a stored copy that does not parse', async () => {
    const { origin, clock, replica, shared } = makeSut({ shared: true });
    await replica().source.load('acme', URL_);
    const key = sharedDocumentKey('acme', URL_);
    const entry = (await shared?.get(key)) as CachedDocument;
    await shared?.put(key, { ...entry, body: new TextEncoder().encode('{poisoned') }, TTL * 10);
    await clock.advance(TTL);
    const document = await replica().source.load('acme', URL_);
    assert.deepEqual(origin.conditional(), ['none', '"v1.0.0"', 'none']);
    assert.equal(document.identity?.version, '1.0.0');
  });

  it('puts the document back into a shared cache that lost it when the origin confirms this process\'s copy', async () => {
    const { origin, clock, replica, shared } = makeSut({ shared: true, maxStaleMs: 0 });
    const { source } = replica();
    await source.load('acme', URL_);
    await clock.advance(TTL); // the shared entry expires with the TTL (no max-stale)
    assert.equal(await shared?.get(sharedDocumentKey('acme', URL_)), undefined);
    await source.load('acme', URL_);
    assert.deepEqual(origin.conditional(), ['none', '"v1.0.0"']);
    const entry = await shared?.get(sharedDocumentKey('acme', URL_));
    assert.equal(entry?.validatedAtMs, clock.now());
    const other = replica();
    await other.source.load('acme', URL_);
    assert.equal(origin.requests.length, 2, 'another replica finds it again');
    assert.deepEqual(other.workers.loads.map((l) => l.form), ['stored']);
  });

  it('does not serve a stale stored copy that does not parse: the origin\'s failure stands', async () => {
    const { origin, clock, replica, shared } = makeSut({ shared: true });
    await replica().source.load('acme', URL_);
    const key = sharedDocumentKey('acme', URL_);
    const entry = (await shared?.get(key)) as CachedDocument;
    await shared?.put(key, { ...entry, body: new TextEncoder().encode('{poisoned') }, TTL * 10);
    origin.state = 'refusing';
    await clock.advance(TTL);
    const error = await failure(replica().source.load('acme', URL_));
    assert.equal(error.code, 'NETWORK');
  });

  it('goes on without a shared cache that fails', async () => {
    const { origin, replica, logger } = makeSut();
    const broken: DocumentCache = {
      backend: 'redis',
      get: () => Promise.reject(new Error('Redis did not answer')),
      put: () => Promise.reject(new Error('Redis did not answer')),
      refresh: () => Promise.reject(errors.runtime('no')),
      close: () => Promise.resolve(),
    };
    const document = await replica(broken).source.load('acme', URL_);
    assert.equal(document.identity?.version, '1.0.0');
    assert.equal(origin.requests.length, 1);
    assert.deepEqual(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields['operation']), ['get', 'put']);
  });
});
