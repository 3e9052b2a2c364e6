/**
 * Schema validation of OpenAPI calls end to end: published documents (@readme/oas-examples: the
 * Petstore in OpenAPI 3.0 and 3.1) served by a local server that also implements their routes and
 * counts the requests it gets; the executor with its real HTTP client and document workers.
 * Then every schema of every published example document, and of a large public API document
 * (the Star Trek API, 500 KB), is compiled and run once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { normalizeDocument, parseDocumentText } from '../../src/adapters/openapi/document-parsing';
import { OpenApiDocumentWorkers } from '../../src/adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../../src/adapters/openapi/process-document-cache';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { WorkflowError } from '../../src/domain/workflow-error';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { DereferencedOpenApiDocument } from '../../src/adapters/openapi/openapi-document';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { isPlainObject, JsonObject } from '../../src/domain/json';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));
const read = (file: string): string => fs.readFileSync(path.join(EXAMPLES, file), 'utf8');

function petstore(req: Seen, res: import('node:http').ServerResponse, origin: string): void {
  const url = new URL(req.url, origin);
  const p = url.pathname;
  if (p.startsWith('/docs/')) {
    const file = p.slice('/docs/'.length);
    return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(read(file).split('http://petstore.swagger.io').join(origin));
  }
  const petById = /^\/v2\/pet\/([^/]+)$/.exec(p);
  if (req.method === 'GET' && petById) {
    const id = petById[1] ?? '';
    if (id === '404') return json(res, 404, { message: 'no such pet' });
    if (id === '500') return json(res, 500, {});
    // Pet 1 is complete; the others lack the required photoUrls.
    return json(res, 200, id === '1' ? { id: 1, name: 'doggie', photoUrls: [] } : { id: Number(id), name: 'doggie' });
  }
  if (req.method === 'POST' && p === '/v2/pet') return json(res, 200, { ...(JSON.parse(req.body) as object), id: 10 });
  json(res, 404, {});
}

const problem = (c: CompletedPayload): JsonObject => c.error_details ?? {};

describe('OpenAPI schema validation of calls', () => {
  let server: LocalServer;
  let executor: Executor;
  let defaulted: Executor;
  const apiCalls = (): number => server.seen.filter((s) => s.url.startsWith('/v2/')).length;
  const call = (doc: string, operationId: string, parameters: JsonObject, extra: JsonObject = {}): JsonObject => ({
    call_type: 'openapi',
    document: { endpoint: `${server.origin}/docs/${doc}` },
    operation_id: operationId,
    parameters,
    ...extra,
  });

  before(async () => {
    server = new LocalServer((req, res) => petstore(req, res, server.origin));
    await server.start();
    executor = new Executor();
    await executor.start();
    defaulted = new Executor({ CALL_VALIDATE: 'both' });
    await defaulted.start();
  });
  after(async () => {
    await executor.stop();
    await defaulted.stop();
    await server.stop();
  });

  for (const doc of ['3.0/json/petstore.json', '3.1/json/petstore.json']) {
    it(`refuses a request that breaks ${doc} before sending anything, naming places and rules only`, async () => {
      const before = apiCalls();
      const c = await executor.run('addPet', call(doc, 'addPet', { body: { name: 42, photoUrls: 'sekrit-photo', status: 'sekrit-status' } }, { validate: 'request' }));
      assert.equal(c.success, false);
      assert.equal(c.error, 'request validation failed: /body/name: must be string (type); /body/photoUrls: must be array (type); /body/status: must be equal to one of the allowed values (enum)');
      const p = problem(c);
      assert.equal(p['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
      assert.equal(p['status'], 400);
      const data = p['data'] as JsonObject;
      assert.equal(data['code'], 'REQUEST_VALIDATION_FAILED');
      assert.deepEqual(data['issues'], [
        { pointer: '/body/name', rule: 'type', message: 'must be string' },
        { pointer: '/body/photoUrls', rule: 'type', message: 'must be array' },
        { pointer: '/body/status', rule: 'enum', message: 'must be equal to one of the allowed values' },
      ]);
      assert.ok(!JSON.stringify(p).includes('sekrit'), 'a checked value leaked into the error');
      assert.equal(apiCalls(), before, 'a refused request was sent');
    });
  }

  it('sends a conforming request (readOnly id left out) and checks nothing when validate is none', async () => {
    const before = apiCalls();
    const ok = await executor.run('addPet', call('3.0/json/petstore.json', 'addPet', { body: { name: 'Rex', photoUrls: [] } }, { validate: 'both' }));
    // addPet declares only 405: a 200 is outside the contract.
    assert.equal(ok.success, false);
    assert.equal(ok.error, 'response validation failed: /status: status 200 is not declared by the operation (status)');
    const unchecked = await executor.run('addPet', call('3.0/json/petstore.json', 'addPet', { body: { name: 42 } }, { validate: 'none' }));
    assert.equal(unchecked.success, true, unchecked.error);
    assert.equal(apiCalls(), before + 2);
  });

  it('fails a response that breaks the document with its output kept, after exactly one request', async () => {
    const before = apiCalls();
    const bad = await executor.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 7 }, { validate: 'response' }));
    assert.equal(bad.success, false);
    assert.equal(bad.error, 'response validation failed: /body/photoUrls: is required (required)');
    assert.equal(problem(bad)['status'], 502);
    assert.equal((problem(bad)['data'] as JsonObject)['code'], 'RESPONSE_VALIDATION_FAILED');
    assert.deepEqual((bad.output as JsonObject)['content'], { id: 7, name: 'doggie' });
    assert.equal(apiCalls(), before + 1);
    const good = await executor.run('getPet', call('3.1/json/petstore.json', 'getPetById', { petId: 1 }, { validate: 'response' }));
    assert.equal(good.success, true, good.error);
  });

  it('CALL_VALIDATE sets the default; a task overrides it', async () => {
    const before = apiCalls();
    const refused = await defaulted.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 'seven' }));
    assert.equal(refused.error, 'request validation failed: /path/petId: must be integer (type)');
    const coerced = await defaulted.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: '1' }));
    assert.equal(coerced.success, true, coerced.error);
    const unchecked = await defaulted.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 7 }, { validate: 'none' }));
    assert.equal(unchecked.success, true, unchecked.error);
    assert.equal(apiCalls(), before + 2);
  });

  it('puts the document\'s description of a failed status into the error data (exact status, else default)', async () => {
    const missing = await executor.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 404 }));
    assert.equal(missing.error, 'HTTP request failed with status 404');
    assert.equal((problem(missing)['data'] as JsonObject)['response_description'], 'Pet not found');
    const failing = await executor.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 500 }));
    assert.equal((problem(failing)['data'] as JsonObject)['response_description'], 'successful response');
  });

  it('refuses an unknown validate value as a configuration error', async () => {
    const c = await executor.run('getPet', call('3.0/json/petstore.json', 'getPetById', { petId: 1 }, { validate: 'always' }));
    assert.equal(c.error, 'call configuration validation failed: unsupported validate value: "always" (supported: request, response, both, none)');
    assert.equal(problem(c)['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
  });
});

/** Every parameter set, request body and declared response of every operation, checked once (compiling each schema). */
function exercise(document: DereferencedOpenApiDocument, raw: JsonObject): number {
  let checks = 0;
  for (const item of Object.values(raw['paths'] as JsonObject)) {
    if (!isPlainObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isPlainObject(operation) || typeof operation['operationId'] !== 'string') continue;
      const id = operation['operationId'];
      document.validateRequest(id, { body: {} });
      checks++;
      for (const status of Object.keys(isPlainObject(operation['responses']) ? operation['responses'] : {})) {
        document.validateResponse(id, { status: status === 'default' ? 599 : Number(status.replace(/X/gi, '0')), contentType: 'application/json', body: {} });
        checks++;
      }
    }
  }
  return checks;
}

describe('schemas of published documents compile and run', () => {
  for (const version of ['3.0', '3.1']) {
    const dir = path.join(EXAMPLES, version, 'json');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      it(`${version}/${file}`, async () => {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        let normalized: JsonObject;
        try {
          normalized = await normalizeDocument(parseDocumentText(text, 'application/json'));
        } catch {
          return; // Documents the executor refuses to load (no paths, webhooks only) have nothing to validate.
        }
        const document = new DereferencedOpenApiDocument(normalized, 'https://example.test/');
        exercise(document, normalized);
      });
    }
  }

  it('the Star Trek API (500 KB, 3.0; operation ids added, it has none) compiles every operation', async () => {
    const raw = parseDocumentText(read('3.0/json/star-trek.json'), 'application/json');
    for (const [p, item] of Object.entries(raw['paths'] as JsonObject)) {
      for (const [method, operation] of Object.entries(item as JsonObject)) if (isPlainObject(operation)) operation['operationId'] = `${method}${p.replace(/\W+/g, '_')}`;
    }
    const normalized = await normalizeDocument(raw);
    const document = new DereferencedOpenApiDocument(normalized, 'https://stapi.test/');
    assert.equal(document.operationIds().length, 120);
    assert.ok(exercise(document, normalized) >= 240);
    const issues = document.validateResponse('get_animal', { status: 200, contentType: 'application/json', body: { animal: { uid: 7, name: 'Tribble' } } });
    assert.deepEqual(issues.map((i) => `${i.pointer} ${i.rule}`), ['/body/animal/uid type']);
  });
});

describe('a check that runs past the time limit', () => {
  it('stops its worker with a timeout error; the document is loaded again for the next check', async () => {
    // uniqueItems over objects compares every pair: 20,000 items are hundreds of millions of comparisons.
    const doc = {
      openapi: '3.0.3',
      paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema: { type: 'array', uniqueItems: true, items: { type: 'object' } } } } }, responses: { '200': { description: 'ok' } } } } },
    };
    const server = new LocalServer((_req, res) => json(res, 200, doc));
    await server.start();
    const workers = new OpenApiDocumentWorkers({ maxWorkers: 1, maxMemoryMb: 512 });
    const client = new UndiciHttpClient(new InMemoryMetrics(), { ...DEFAULT_HTTP_CLIENT_SETTINGS });
    const source = new OasDocumentSource(client, new SystemClock(), new InMemoryMetrics(), { cacheTtlMs: 60_000, requestTimeoutMs: 300, maxDocumentBytes: 1024 * 1024, bounds: documentCacheBounds(1) }, workers);
    try {
      const document = await source.load('acme', `${server.origin}/doc.json`);
      const started = workers.workersStarted;
      const items = Array.from({ length: 20_000 }, (_, i) => ({ i }));
      const error = await document.validateRequest('a', { body: items }).then(
        () => assert.fail('expected the check to be stopped'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkflowError);
      assert.equal(error.kind, 'timeout');
      assert.deepEqual(await document.validateRequest('a', { body: [{ i: 1 }, { i: 1 }] }), [{ pointer: '/body', rule: 'uniqueItems', message: 'must NOT have duplicate items (items ## 0 and 1 are identical)' }]);
      assert.equal(workers.workersStarted, started + 1, 'a fresh worker took over');
    } finally {
      await workers.close();
      await client.close();
      await server.stop();
    }
  });
});
