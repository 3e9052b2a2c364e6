/**
 * Two large public API documents (GitHub's REST API, 13 MB; Stripe's, 2.5 MB; test/fixtures/openapi)
 * loaded through the real document source from a local server, real operations prepared and
 * validated, and one task of each run end to end against a local server standing in for the API
 * (the copy served has its `servers` pointing there). Prints the load time and the validation cost
 * per call (docs/call-validation.md records them).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { OpenApiDocumentWorkers } from '../../src/adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../../src/adapters/openapi/process-document-cache';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { OpenApiDocument } from '../../src/application/ports/openapi-document-source.port';
import { JsonObject } from '../../src/domain/json';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const FIXTURES = path.resolve(__dirname, '../fixtures/openapi');
const MAX_BYTES = 64 * 1024 * 1024;

/** A fixture as its origin would serve it, with its servers replaced by the local stand-in. */
function served(file: string, apiOrigin: string): string {
  const document = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(FIXTURES, file))).toString('utf8')) as { servers?: unknown };
  document.servers = [{ url: apiOrigin }];
  return JSON.stringify(document);
}

/** Average time of `run`, in ms, over `times` runs after one warm-up. */
async function perCall(times: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < times; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1e6 / times;
}

describe('large public API documents (GitHub, Stripe)', () => {
  const docs = new Map<string, string>();
  const api = new LocalServer((req: Seen, res) => {
    const url = new URL(req.url, api.origin);
    const doc = docs.get(url.pathname);
    if (doc !== undefined) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(doc);
    if (req.method === 'GET' && url.pathname === '/orgs/octo-org/repos') return json(res, 200, [{ id: 1, name: 'hello', full_name: 'octo-org/hello', query: Object.fromEntries(url.searchParams) }]);
    if (req.method === 'POST' && url.pathname === '/repos/octo-org/hello/issues') return json(res, 201, { number: 7, ...(JSON.parse(req.body) as JsonObject) });
    if (req.method === 'GET' && url.pathname === '/v1/customers') return json(res, 200, { object: 'list', data: [{ id: 'cus_1', email: url.searchParams.get('email') }], has_more: false, url: '/v1/customers' });
    json(res, 404, { message: 'Not Found' });
  });
  const worker = new OpenApiDocumentWorkers();
  const client = new UndiciHttpClient(new InMemoryMetrics(), { ...DEFAULT_HTTP_CLIENT_SETTINGS, maxResponseBytes: MAX_BYTES });
  const source = new OasDocumentSource(client, new SystemClock(), new InMemoryMetrics(), { cacheTtlMs: 600_000, requestTimeoutMs: 120_000, maxDocumentBytes: MAX_BYTES, bounds: documentCacheBounds(4) }, worker);
  const figures: Record<string, unknown> = {};
  let executor: Executor;

  before(async () => {
    await api.start();
    docs.set('/github.json', served('github-api.github.com.json.gz', api.origin));
    docs.set('/stripe.json', served('stripe.com.json.gz', api.origin));
    executor = new Executor({ HTTP_MAX_RESPONSE_BYTES: String(MAX_BYTES) });
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await client.close();
    await worker.close();
    await api.stop();
    process.stdout.write(`# figures ${JSON.stringify(figures)}\n`);
  });

  const load = async (name: string): Promise<OpenApiDocument> => {
    const started = Date.now();
    const document = await source.load('acme', `${api.origin}/${name}.json`);
    figures[`${name}LoadMs`] = Date.now() - started;
    figures[`${name}Operations`] = document.operationIds().length;
    return document;
  };

  it('GitHub: prepares repos/list-for-org and issues/create, and refuses a request that breaks the schema', async () => {
    const github = await load('github');
    assert.ok(github.operationIds().length > 1000, `${github.operationIds().length} operations`);
    const list = await github.prepare('repos/list-for-org', { org: 'octo-org', type: 'public', per_page: 5 });
    assert.equal(list.method.toUpperCase(), 'GET');
    assert.equal(list.url, `${api.origin}/orgs/octo-org/repos?type=public&per_page=5`);
    const create = await github.prepare('issues/create', { owner: 'octo-org', repo: 'hello', body: { title: 'Found a bug', labels: ['bug'] } });
    assert.equal(create.url, `${api.origin}/repos/octo-org/hello/issues`);
    assert.deepEqual(JSON.parse(String(create.body)), { title: 'Found a bug', labels: ['bug'] });
    const issues = await github.validateRequest('repos/list-for-org', { org: 'octo-org', type: 'everything', per_page: 'lots' });
    assert.deepEqual(issues.map((i) => i.pointer).sort(), ['/query/per_page', '/query/type']);
    const missing = await github.validateRequest('issues/create', { owner: 'octo-org', repo: 'hello', body: { body: 'no title' } });
    assert.deepEqual(missing.map((i) => [i.pointer, i.rule]), [['/body/title', 'required']]);
    const valid = { owner: 'octo-org', repo: 'hello', body: { title: 'Found a bug', labels: ['bug'] } };
    figures['githubValidateRequestMs'] = await perCall(200, () => github.validateRequest('issues/create', valid));
    figures['githubPrepareMs'] = await perCall(200, () => github.prepare('issues/create', valid));
    figures['githubPrepareValidatedMs'] = await perCall(200, () => github.prepareValidated('issues/create', valid));
  });

  it('Stripe: prepares GetCustomers with its query and refuses a limit that is not an integer', async () => {
    const stripe = await load('stripe');
    assert.ok(stripe.operationIds().length > 400, `${stripe.operationIds().length} operations`);
    const list = await stripe.prepare('GetCustomers', { limit: 3, email: 'ada@example.com' });
    assert.equal(list.url, `${api.origin}/v1/customers?email=ada%40example.com&limit=3`);
    const issues = await stripe.validateRequest('GetCustomers', { limit: 'many' });
    assert.deepEqual(issues.map((i) => i.pointer), ['/query/limit']);
    figures['stripeValidateRequestMs'] = await perCall(200, () => stripe.validateRequest('GetCustomers', { limit: 3, email: 'ada@example.com' }));
  });

  it('runs a task of each end to end, request validated, against the stand-in API', async () => {
    const run = (name: string, document: string, operationId: string, parameters: JsonObject) =>
      executor.run(name, { call_type: 'openapi', document: { endpoint: `${api.origin}/${document}.json` }, operation_id: operationId, parameters, validate: 'request' }, {});
    const created = await executor.completion(executor.submit('createIssue', { call_type: 'openapi', document: { endpoint: `${api.origin}/github.json` }, operation_id: 'issues/create', parameters: { owner: 'octo-org', repo: 'hello', body: { title: 'Found a bug' } }, validate: 'request' }), 120_000);
    assert.equal(created.success, true, created.error);
    assert.deepEqual((created.output as { status_code: number; content: JsonObject }).content, { number: 7, title: 'Found a bug' });
    const refused = await run('badIssue', 'github', 'issues/create', { owner: 'octo-org', repo: 'hello', body: { body: 'no title' } });
    assert.equal(refused.success, false);
    assert.equal(refused.error, 'request validation failed: /body/title: is required (required)');
    assert.ok(!api.seen.some((s) => s.method === 'POST' && s.body.includes('no title')), 'a refused request is not sent');
    const customers = await executor.completion(executor.submit('customers', { call_type: 'openapi', document: { endpoint: `${api.origin}/stripe.json` }, operation_id: 'GetCustomers', parameters: { limit: 3, email: 'ada@example.com' }, validate: 'request' }), 120_000);
    assert.equal(customers.success, true, customers.error);
    assert.equal((customers.output as { content: { data: JsonObject[] } }).content.data[0]?.['email'], 'ada@example.com');
  });
});
