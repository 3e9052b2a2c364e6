/**
 * A large OpenAPI document (8 MB of JSON, 11 MB of YAML) is parsed, validated and dereferenced
 * in the document worker: the event loop that runs every other task keeps turning meanwhile.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { OpenApiDocumentWorkers } from '../../src/adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../../src/adapters/openapi/process-document-cache';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { WorkflowError } from '../../src/domain/workflow-error';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));

/** The Petstore with its paths repeated under /v0, /v1, … until the JSON is `bytes` long. */
function largeDocument(bytes: number): Record<string, unknown> {
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

let server: http.Server;
let origin: string;
const docs = new Map<string, { body: string; type: string }>();
const worker = new OpenApiDocumentWorkers();
const clients: UndiciHttpClient[] = [];

function source(requestTimeoutMs = 60_000): OasDocumentSource {
  const client = new UndiciHttpClient(new InMemoryMetrics(), { ...DEFAULT_HTTP_CLIENT_SETTINGS, maxResponseBytes: 64 * 1024 * 1024 });
  clients.push(client);
  return new OasDocumentSource(client, new SystemClock(), new InMemoryMetrics(), { cacheTtlMs: 60_000, requestTimeoutMs, maxDocumentBytes: 64 * 1024 * 1024, bounds: documentCacheBounds(4) }, worker);
}

before(async () => {
  const document = largeDocument(8_000_000);
  docs.set('/large.json', { body: JSON.stringify(document), type: 'application/json' });
  docs.set('/large.yaml', { body: yaml.dump(document), type: 'application/yaml' });
  server = http.createServer((req, res) => {
    const doc = docs.get(req.url ?? '');
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': doc.type }).end(doc.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await worker.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('a large OpenAPI document', () => {
  for (const file of ['/large.json', '/large.yaml']) {
    it(`is loaded from ${file.slice(1)} without holding the event loop, then prepares requests`, async () => {
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      const started = Date.now();
      const document = await source().load('acme', `${origin}${file}`);
      const tookMs = Date.now() - started;
      histogram.disable();
      const worstDelayMs = histogram.max / 1e6;
      assert.ok(document.operationIds().length > 1000, `${document.operationIds().length} operations`);
      // Parsing alone takes 0.7 s (JSON) to 1.3 s (YAML) on this machine when done on the event loop.
      assert.ok(worstDelayMs < 150, `the event loop stalled for ${worstDelayMs.toFixed(0)} ms while the document loaded in ${tookMs} ms`);
      const prepared = await document.prepare('getPetById_42', { petId: 7 });
      assert.equal(prepared.url, 'https://petstore.test/api/v42/pet/7');
      assert.equal(prepared.method, 'GET');
      // Schema checks compile the schemas of the operation checked, not the whole document's.
      assert.deepEqual(await document.validateRequest('addPet_300', { body: { name: 7, photoUrls: [] } }), [{ pointer: '/body/name', rule: 'type', message: 'must be string' }]);
      assert.deepEqual(await document.validateResponse('getPetById_300', { status: 200, contentType: 'application/json', body: { name: 'Rex', photoUrls: [] } }), []);
    });
  }

  it('is abandoned past its time limit, and the worker serves the next document', async () => {
    const error = await source(20).load('acme', `${origin}/large.yaml`).then(
      () => assert.fail('expected the load to be abandoned'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowError);
    assert.equal(error.kind, 'timeout');
    const small = await source().load('acme', `${origin}/large.json`);
    assert.ok(small.operationIds().includes('getPetById_0'));
  });
});
