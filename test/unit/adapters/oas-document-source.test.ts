import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentUnloadedError } from '../../../src/adapters/openapi/worker-document';
import { OasDocumentSource } from '../../../src/adapters/openapi/oas-document-source';
import { DocumentCacheBounds, documentCacheBounds } from '../../../src/adapters/openapi/process-document-cache';
import { DocumentWorkers, HeldDocument } from '../../../src/adapters/openapi/held-document';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../../src/application/ports/openapi-document-source.port';
import { JsonObject } from '../../../src/domain/json';

/** Serves `size` bytes for any URL (the size in the path, `/…/<bytes>.json`, else 100). */
class FakeHttp implements HttpClient {
  readonly fetched: string[] = [];
  send(request: HttpRequest): Promise<HttpResponse> {
    this.fetched.push(request.url);
    const size = Number(/\/(\d+)\.json$/.exec(request.url)?.[1] ?? 100);
    return Promise.resolve({ status: 200, headers: { 'content-type': ['application/json'] }, body: new Uint8Array(size), url: request.url });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeDocument implements HeldDocument {
  loaded = true;
  dropped = false;
  constructor(readonly tenant: string, readonly url: string) {}
  operationIds(): string[] {
    return ['op'];
  }
  securitySchemeNames(): string[] {
    return [];
  }
  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation> {
    if (!this.loaded || this.dropped) return Promise.reject(new DocumentUnloadedError());
    return Promise.resolve({ operationId, method: 'GET', url: `${this.url}?tenant=${this.tenant}&p=${JSON.stringify(parameters)}`, headers: {} });
  }
  validateRequest(): Promise<ValidationIssue[]> {
    if (!this.loaded || this.dropped) return Promise.reject(new DocumentUnloadedError());
    return Promise.resolve([{ pointer: `/tenant/${this.tenant}`, rule: 'fake', message: 'checked' }]);
  }
  async prepareValidated(operationId: string, parameters: JsonObject): Promise<ValidatedPreparation> {
    const issues = await this.validateRequest();
    return { issues, prepared: await this.prepare(operationId, parameters) };
  }
  validateResponse(): Promise<ValidationIssue[]> {
    return Promise.resolve([]);
  }
  security(): Promise<OperationSecurity> {
    if (!this.loaded || this.dropped) return Promise.reject(new DocumentUnloadedError());
    return Promise.resolve({ requirements: [], schemes: {} });
  }
  drop(): void {
    this.dropped = true;
  }
}

/** Records what reaches the workers: every document loaded, and which were dropped. */
class FakeWorkers implements DocumentWorkers {
  readonly documents: FakeDocument[] = [];
  load(tenant: string, _body: Uint8Array, _contentType: string, url: string): Promise<HeldDocument> {
    const document = new FakeDocument(tenant, url);
    this.documents.push(document);
    return Promise.resolve(document);
  }
  whenIdle(): Promise<boolean> {
    return Promise.resolve(false);
  }
  /** URLs of the documents the workers still hold. */
  held(tenant?: string): string[] {
    return this.documents.filter((d) => !d.dropped && d.loaded && (tenant === undefined || d.tenant === tenant)).map((d) => d.url);
  }
  dropped(): string[] {
    return this.documents.filter((d) => d.dropped).map((d) => d.url);
  }
}

const LARGE: DocumentCacheBounds = { tenantDocuments: 1000, tenantBytes: 1e12, documents: 1000, bytes: 1e12 };

function makeSut(bounds: Partial<DocumentCacheBounds> = {}, cacheTtlMs = 60_000) {
  const http = new FakeHttp();
  const workers = new FakeWorkers();
  const clock = new FakeClock();
  const metrics = new InMemoryMetrics();
  const sut = new OasDocumentSource(http, clock, metrics, { cacheTtlMs, requestTimeoutMs: 1_000, maxDocumentBytes: 1e9, bounds: { ...LARGE, ...bounds } }, workers);
  return { sut, http, workers, clock, metrics };
}

const url = (name: string, bytes = 100): string => `https://docs.test/${name}/${bytes}.json`;

describe('OasDocumentSource cache', () => {
  it('keeps documents apart per tenant: one tenant is never handed a document fetched for another', async () => {
    const { sut, http } = makeSut();
    const a = await sut.load('tenant-a', url('api'));
    const b = await sut.load('tenant-b', url('api'));
    assert.equal(http.fetched.length, 2);
    assert.match((await a.prepare('op', {})).url, /tenant=tenant-a/);
    assert.match((await b.prepare('op', {})).url, /tenant=tenant-b/);
    assert.equal(await sut.load('tenant-a', url('api')), a);
    assert.equal(http.fetched.length, 2);
  });

  it('bounds the documents of one tenant by count, evicting the least recently used and dropping it from its worker', async () => {
    const { sut, workers } = makeSut({ tenantDocuments: 2 });
    await sut.load('a', url('one'));
    await sut.load('a', url('two'));
    await sut.load('b', url('other'));
    await sut.load('a', url('one')); // used again: `two` is now the least recently used of tenant a
    await sut.load('a', url('three'));
    assert.deepEqual(workers.dropped(), [url('two')]);
    assert.deepEqual(workers.held('a'), [url('one'), url('three')]);
    assert.deepEqual(workers.held('b'), [url('other')]);
    assert.deepEqual(sut.size(), { documents: 3, bytes: 300 });
  });

  it('bounds the documents of all tenants by count', async () => {
    const { sut, workers } = makeSut({ documents: 3 });
    for (const tenant of ['a', 'b', 'c', 'd']) await sut.load(tenant, url('api'));
    assert.deepEqual(workers.documents.filter((d) => d.dropped).map((d) => d.tenant), ['a']);
    assert.equal(sut.size().documents, 3);
  });

  it('bounds the bytes of one tenant and of all tenants, keeping the newest document even when it alone is larger', async () => {
    const { sut, workers } = makeSut({ tenantBytes: 1_000, bytes: 1_500 });
    await sut.load('a', url('one', 400));
    await sut.load('a', url('two', 400));
    await sut.load('a', url('three', 400)); // 1,200 bytes for a: `one` goes
    assert.deepEqual(workers.dropped(), [url('one', 400)]);
    await sut.load('b', url('big', 900)); // 1,700 in all: the least recently used, a's `two`, goes
    assert.deepEqual(workers.dropped(), [url('one', 400), url('two', 400)]);
    assert.deepEqual(sut.size(), { documents: 2, bytes: 1_300 });
    await sut.load('b', url('huge', 5_000));
    assert.deepEqual(workers.held(), [url('huge', 5_000)]);
    assert.deepEqual(sut.size(), { documents: 1, bytes: 5_000 });
  });

  it('evicts expired documents of every tenant on each insert, and drops them from their workers', async () => {
    const { sut, workers, clock } = makeSut({}, 60_000);
    await sut.load('a', url('old'));
    await sut.load('b', url('old'));
    await clock.advance(30_000);
    await sut.load('a', url('recent'));
    assert.deepEqual(workers.dropped(), []);
    await clock.advance(30_000);
    await sut.load('c', url('new'));
    assert.deepEqual(workers.documents.filter((d) => d.dropped).map((d) => `${d.tenant} ${d.url}`), [`a ${url('old')}`, `b ${url('old')}`]);
    assert.deepEqual(sut.size().documents, 2);
  });

  it('without a TTL, a document is fetched for every call and dropped at the next insert', async () => {
    const { sut, workers, http } = makeSut({}, 0);
    const first = await sut.load('a', url('api'));
    assert.match((await first.prepare('op', {})).url, /tenant=a/);
    await sut.load('a', url('api'));
    assert.equal(http.fetched.length, 2);
    assert.deepEqual(workers.held(), [url('api')]);
    assert.equal(workers.dropped().length, 1);
  });

  it('an expired document is dropped when its URL is asked for again, and fetched again', async () => {
    const { sut, workers, http, clock, metrics } = makeSut({}, 1_000);
    await sut.load('a', url('api'));
    await clock.advance(1_000);
    await sut.load('a', url('api'));
    assert.equal(http.fetched.length, 2);
    assert.equal(workers.dropped().length, 1);
    assert.equal(metrics.count('openapi_cache', 'miss'), 2);
  });

  it('a document gone from its worker (worker stopped or document evicted) is loaded again when a call prepares its request', async () => {
    const { sut, workers, http } = makeSut({ tenantDocuments: 1 });
    const held = await sut.load('a', url('one'));
    workers.documents[0]!.loaded = false;
    assert.match((await held.prepare('op', { n: 1 })).url, /one\/100\.json\?tenant=a&p=\{"n":1\}/);
    assert.equal(http.fetched.length, 2);
    const evicted = await sut.load('a', url('one'));
    await sut.load('a', url('two')); // evicts `one` while a call still holds it
    assert.match((await evicted.prepare('op', {})).url, /one\/100\.json/);
    assert.equal(http.fetched.length, 4);
  });

  it('derives its bounds from the number of workers and their heap limit', () => {
    const bounds = documentCacheBounds(4, 1024);
    assert.deepEqual(bounds, { tenantDocuments: 32, tenantBytes: 64 * 1024 * 1024, documents: 128, bytes: 256 * 1024 * 1024 });
  });
});
