/**
 * OpenAPI documents of one tenant never delay or fail another tenant's calls: each tenant's
 * documents are parsed and held in its own document worker, a time limit counts from the moment
 * the worker starts a request, and a load that runs past it stops only its own worker.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS, OpenApiDocumentWorkers } from '../../src/adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { documentCacheBounds, DocumentCacheBounds } from '../../src/adapters/openapi/process-document-cache';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { HttpClient, HttpRequest, HttpResponse } from '../../src/application/ports/http-client.port';
import { WorkflowError } from '../../src/domain/workflow-error';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));

/** The Petstore with its paths repeated under /v0, /v1, … until the JSON is `bytes` long. */
function petstore(bytes: number): Record<string, unknown> {
  const base = JSON.parse(fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
  const paths: Record<string, unknown> = {};
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    for (const [p, item] of Object.entries(base.paths)) {
      const copy = JSON.parse(JSON.stringify(item)) as Record<string, { operationId?: string }>;
      for (const operation of Object.values(copy)) if (operation.operationId) operation.operationId += `_${i}`;
      paths[`/v${i}${p}`] = copy;
      size += JSON.stringify(copy).length;
    }
  }
  return { ...base, servers: [{ url: 'https://petstore.test/api' }], paths };
}

const SMALL = JSON.stringify(petstore(1));
const LARGE = petstore(9_000_000);
const LARGE_JSON = Buffer.from(JSON.stringify(LARGE));
const LARGE_YAML = yaml.dump(LARGE);

/** Answers from memory at once: `/large.yaml` is the large YAML document, anything else the small Petstore. */
class InstantHttp implements HttpClient {
  readonly fetched: string[] = [];
  send(request: HttpRequest): Promise<HttpResponse> {
    this.fetched.push(request.url);
    const yamlDocument = request.url.endsWith('/large.yaml');
    const body = new TextEncoder().encode(yamlDocument ? LARGE_YAML : SMALL);
    return Promise.resolve({ status: 200, headers: { 'content-type': [yamlDocument ? 'application/yaml' : 'application/json'] }, body, url: request.url });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let server: http.Server;
let origin: string;
const served: string[] = [];
let largeUnavailable = false;
const pools: OpenApiDocumentWorkers[] = [];
const clients: UndiciHttpClient[] = [];

function workers(maxWorkers = DEFAULT_DOCUMENT_WORKER_OPTIONS.maxWorkers): OpenApiDocumentWorkers {
  const pool = new OpenApiDocumentWorkers({ ...DEFAULT_DOCUMENT_WORKER_OPTIONS, maxWorkers });
  pools.push(pool);
  return pool;
}

function source(pool: OpenApiDocumentWorkers, options: { http?: HttpClient; requestTimeoutMs?: number; bounds?: Partial<DocumentCacheBounds> } = {}): OasDocumentSource {
  let client = options.http;
  if (!client) {
    const undici = new UndiciHttpClient(new InMemoryMetrics(), { ...DEFAULT_HTTP_CLIENT_SETTINGS, maxResponseBytes: 64 * 1024 * 1024 });
    clients.push(undici);
    client = undici;
  }
  const bounds = { ...documentCacheBounds(4), ...options.bounds };
  return new OasDocumentSource(client, new SystemClock(), new InMemoryMetrics(), { cacheTtlMs: 300_000, requestTimeoutMs: options.requestTimeoutMs ?? 30_000, maxDocumentBytes: 64 * 1024 * 1024, bounds }, pool);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    const large = req.url?.startsWith('/large/') ?? false;
    if (large && largeUnavailable) return void res.writeHead(503).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(large ? LARGE_JSON : SMALL);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(pools.map((p) => p.close()));
  await new Promise((resolve) => server.close(resolve));
});

describe('OpenAPI documents of different tenants', () => {
  it("keep another tenant's calls on its loaded document fast while one tenant loads 30 large documents", async (t) => {
    const pool = workers();
    const documents = source(pool);
    const own = `${origin}/b/petstore.json`;
    await (await documents.load('tenant-b', own)).prepare('getPetById_0', { petId: 1 });

    const flood = Promise.allSettled(Array.from({ length: 30 }, (_, i) => documents.load('tenant-a', `${origin}/large/${i}.json`)));
    const latencies: number[] = [];
    const failures: string[] = [];
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      calls.push(
        (async () => {
          const started = Date.now();
          try {
            const prepared = await (await documents.load('tenant-b', own)).prepare('getPetById_0', { petId: i });
            assert.equal(prepared.url, `https://petstore.test/api/v0/pet/${i}`);
          } catch (error) {
            failures.push((error as Error).message);
          }
          latencies.push(Date.now() - started);
        })(),
      );
      await sleep(100);
    }
    await Promise.all(calls);
    latencies.sort((x, y) => x - y);
    const summary = `p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms, ${failures.length} failed ${JSON.stringify([...new Set(failures)])}`;
    t.diagnostic(`tenant-b while tenant-a loads 30 × 9 MB: ${summary}`);
    assert.deepEqual(failures, [], summary);
    assert.ok((latencies.at(-1) ?? Infinity) < 200, summary);
    assert.equal(served.filter((u) => u === '/b/petstore.json').length, 1, 'the document of tenant-b was loaded once');
    // Tenant a's documents are still being worked through, a few at a time: stop them.
    largeUnavailable = true;
    await pool.close();
    await flood;
  });

  it("fail only the load that runs past its limit: another tenant's loaded document prepares at once, and the offender's queued loads still complete", async () => {
    const pool = workers();
    const instant = new InstantHttp();
    const steady = source(pool, { http: instant });
    const document = await steady.load('tenant-b', 'https://docs.test/b.json');
    const offender = source(pool, { http: instant, requestTimeoutMs: 300 });

    const slow = offender.load('tenant-a', 'https://docs.test/large.yaml').then(
      () => assert.fail('expected the load to be abandoned'),
      (e: unknown) => e,
    );
    const queued = offender.load('tenant-a', 'https://docs.test/a.json');
    await sleep(50);
    const during: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      await document.prepare('getPetById_0', { petId: i });
      during.push(Date.now() - started);
      await sleep(50);
    }
    const error = await slow;
    assert.ok(error instanceof WorkflowError);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.detail, 'the OpenAPI document took longer than 300 ms to process and was abandoned');
    assert.ok(Math.max(...during) < 200, `prepares during the offending load took ${during.join(', ')} ms`);

    // The offender's next load was queued behind it on the same worker: it runs on a fresh worker.
    const next = await queued;
    assert.equal((await next.prepare('getPetById_0', { petId: 3 })).url, 'https://petstore.test/api/v0/pet/3');

    const started = Date.now();
    const prepared = await (await steady.load('tenant-b', 'https://docs.test/b.json')).prepare('getPetById_0', { petId: 7 });
    assert.equal(prepared.url, 'https://petstore.test/api/v0/pet/7');
    assert.ok(Date.now() - started < 200);
    assert.equal(instant.fetched.filter((u) => u.endsWith('/b.json')).length, 1, 'the document of tenant-b was not loaded again');
  });

  it('hand the least recently used idle worker to a new tenant when every worker is taken; its documents load again on next use', async () => {
    const pool = workers(2);
    const instant = new InstantHttp();
    const documents = source(pool, { http: instant });
    const a = await documents.load('tenant-a', 'https://docs.test/a.json');
    const b = await documents.load('tenant-b', 'https://docs.test/b.json');
    await b.prepare('getPetById_0', { petId: 1 });
    await documents.load('tenant-c', 'https://docs.test/c.json');
    assert.equal(pool.workersStarted, 3);
    assert.equal((await b.prepare('getPetById_0', { petId: 2 })).url, 'https://petstore.test/api/v0/pet/2');
    assert.equal(instant.fetched.length, 3, 'tenant-b kept its worker');
    assert.equal((await a.prepare('getPetById_0', { petId: 3 })).url, 'https://petstore.test/api/v0/pet/3');
    assert.equal(instant.fetched.filter((u) => u.endsWith('/a.json')).length, 2, "tenant-a's document was loaded again");
  });

  it("share a worker only while every worker is busy: a tenant's load queued behind another's offending load runs on a fresh worker", async () => {
    const pool = workers(1);
    const instant = new InstantHttp();
    const offender = source(pool, { http: instant, requestTimeoutMs: 300 }).load('tenant-a', 'https://docs.test/large.yaml').then(
      () => assert.fail('expected the load to be abandoned'),
      (e: unknown) => e,
    );
    await sleep(50);
    const shared = await source(pool, { http: instant }).load('tenant-b', 'https://docs.test/b.json');
    assert.equal(((await offender) as WorkflowError).kind, 'timeout');
    assert.equal((await shared.prepare('getPetById_0', { petId: 5 })).url, 'https://petstore.test/api/v0/pet/5');
  });

  it('drop documents evicted from the cache in their workers', async () => {
    const pool = workers();
    const documents = source(pool, { http: new InstantHttp(), bounds: { tenantDocuments: 2 } });
    for (let i = 0; i < 5; i++) await documents.load('tenant-a', `https://docs.test/a/${i}.json`);
    await pool.whenIdle();
    assert.equal(documents.size().documents, 2);
    assert.equal(pool.documentsHeld(), 2);
  });
});
