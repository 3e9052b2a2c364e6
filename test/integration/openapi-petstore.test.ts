/**
 * Operations from published third-party documents (@readme/oas-examples: the Swagger Petstore
 * in Swagger 2.0, OpenAPI 3.0 and 3.1, JSON and YAML; the parameter-style catalogue) run end to
 * end through the executor against a local server implementing their routes. Only the server
 * address of each document is changed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));
const read = (file: string): string => fs.readFileSync(path.join(EXAMPLES, file), 'utf8');

let tokenRequests = 0;

function petstore(req: Seen, res: import('node:http').ServerResponse, origin: string): void {
  const url = new URL(req.url, origin);
  const p = url.pathname;
  if (p === '/oauth/token') {
    tokenRequests++;
    const form = new URLSearchParams(req.body);
    if (form.get('client_id') !== 'petstore-client' || form.get('client_secret') !== 'client-s3cret') return json(res, 401, { error: 'invalid_client' });
    return json(res, 200, { access_token: `oauth-token-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 });
  }
  const petById = /^\/v2\/pet\/(?!findBy)([^/]+)$/.exec(p);
  if (req.method === 'GET' && petById) {
    if (req.headers['api_key'] !== 'special-key') return json(res, 401, { message: 'no api key' });
    const id = decodeURIComponent(petById[1] ?? '');
    if (id === '404') return json(res, 404, { message: 'Pet not found' });
    return json(res, 200, { id: Number(id), name: 'doggie', status: 'available' });
  }
  if (req.method === 'GET' && p === '/v2/pet/findByStatus') {
    if (!String(req.headers['authorization']).startsWith('Bearer ')) return json(res, 401, {});
    return json(res, 200, url.searchParams.getAll('status').map((status, i) => ({ id: i + 1, status })));
  }
  if (req.method === 'POST' && p === '/v2/pet') {
    if (!String(req.headers['authorization']).startsWith('Bearer ')) return json(res, 401, {});
    return json(res, 200, { ...(JSON.parse(req.body) as object), id: 10 });
  }
  if (req.method === 'POST' && petById) return json(res, 200, { form: Object.fromEntries(new URLSearchParams(req.body)), type: req.headers['content-type'] });
  if (req.method === 'DELETE' && petById) return json(res, req.headers['api_key'] === 'del-key' ? 200 : 400, {});
  if (req.method === 'GET' && p === '/v2/user/login') {
    return json(res, 200, { user: url.searchParams.get('username') }, { 'X-Rate-Limit': '5000', 'X-Expires-After': 'soon' });
  }
  if (req.method === 'GET' && p === '/v2/store/inventory') {
    const auth = req.headers['authorization'] ?? '';
    if (auth !== `Basic ${Buffer.from('ada:pa55word').toString('base64')}` && url.searchParams.get('api_key') !== 'q-key') return json(res, 403, {});
    return json(res, 200, { available: 3 });
  }
  if (p.startsWith('/anything') || p.startsWith('/cookies')) {
    return json(res, 200, { path: p, query: url.search, headers: req.headers });
  }
  if (p.startsWith('/docs/')) return serveDocument(p, res, origin);
  json(res, 404, { message: `no route ${req.method} ${p}` });
}

function serveDocument(p: string, res: import('node:http').ServerResponse, origin: string): void {
  const host = new URL(origin).host;
  const here = (text: string): string => text.split('http://petstore.swagger.io').join(origin);
  const docs: Record<string, () => [string, string]> = {
    '/docs/3.0/petstore.json': () => [here(read('3.0/json/petstore.json')), 'application/json'],
    '/docs/3.0/petstore.yaml': () => [here(read('3.0/yaml/petstore.yaml')), 'application/yaml'],
    // YAML served as text/plain: detected by sniffing.
    '/docs/3.1/petstore.yaml': () => [here(read('3.1/yaml/petstore.yaml')), 'text/plain'],
    '/docs/3.1/petstore.json': () => [here(read('3.1/json/petstore.json')), 'application/json'],
    '/docs/2.0/petstore.json': () => [read('2.0/json/petstore.json').split('petstore.swagger.io').join(host), 'application/json'],
    // Swagger 2.0 without a host: the API lives where the document was fetched from.
    '/docs/2.0/petstore.yaml': () => [read('2.0/yaml/petstore.yaml').replace(/^host:.*$/m, '').replace(/^schemes:\n(\s+- .*\n)+/m, ''), 'application/x-yaml'],
    // No servers at all: the document origin.
    '/docs/3.0/parameters-style.json': () => {
      const doc = JSON.parse(read('3.0/json/parameters-style.json')) as { servers?: unknown };
      delete doc.servers;
      return [JSON.stringify(doc), 'application/json'];
    },
  };
  const doc = docs[p];
  if (!doc) return json(res, 404, {});
  const [body, type] = doc();
  res.writeHead(200, { 'Content-Type': type });
  res.end(body);
}

describe('OpenAPI calls against published Petstore documents', () => {
  let server: LocalServer;
  let executor: Executor;
  before(async () => {
    server = new LocalServer((req, res) => petstore(req, res, server.origin));
    await server.start();
    executor = new Executor();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  const lastTo = (prefix: string): Seen => {
    const found = server.seen.filter((s) => s.url.startsWith(prefix)).at(-1);
    assert.ok(found, `no request to ${prefix}`);
    return found;
  };

  for (const doc of ['3.0/petstore.json', '3.0/petstore.yaml', '3.1/petstore.json', '3.1/petstore.yaml', '2.0/petstore.json', '2.0/petstore.yaml']) {
    it(`getPetById (path parameter, apikey header) from ${doc}`, async () => {
      const c = await executor.run('fetchPet', {
        call_type: 'openapi',
        document: { endpoint: `${server.origin}/docs/${doc}` },
        operation_id: 'getPetById',
        parameters: { petId: '${ .input.petId }' },
        authentication: { type: 'apikey', config: { key: 'api_key', value: 'special-key', in: 'header' } },
      }, { context: { workflow_input: { petId: 42 }, variables: {} } });
      assert.equal(c.success, true, c.error);
      const output = c.output as Record<string, unknown>;
      assert.deepEqual(output['content'], { id: 42, name: 'doggie', status: 'available' });
      assert.equal(output['status_code'], 200);
      assert.deepEqual((output['headers'] as Record<string, unknown>)['Content-Type'], ['application/json']);
      const request = output['request'] as Record<string, unknown>;
      assert.equal(request['url'], `${server.origin}/v2/pet/42`);
      assert.equal(request['method'], 'GET');
      assert.equal(request['operation_id'], 'getPetById');
      assert.equal((request['headers'] as Record<string, string>)['Api_key'], '***');
      assert.equal(lastTo('/v2/pet/42').headers['api_key'], 'special-key');
      assert.deepEqual(c.data.input['parameters'], { petId: 42 });
      assert.ok(!JSON.stringify(c).includes('special-key'), 'the API key leaked into the completion');
    });
  }

  it('the Swagger 2.0 document and the 3.1 one POST a JSON body (Swagger `in: body`) with OAuth2 client credentials, token cached', async () => {
    tokenRequests = 0;
    const auth = { oauth2: { authority: server.origin, endpoints: { token: '/oauth/token' }, grant: 'client_credentials', client: { id: 'petstore-client', secret: 'client-s3cret' }, scopes: ['write:pets'] } };
    for (const doc of ['2.0/petstore.json', '3.1/petstore.json']) {
      const c = await executor.run('addPet', {
        call_type: 'openapi',
        document: { endpoint: `${server.origin}/docs/${doc}` },
        operation_id: 'addPet',
        parameters: { body: { name: '${ .variables.name }', photoUrls: [], status: 'available' } },
        authentication: auth,
      }, { context: { variables: { name: 'Rex' } } });
      assert.equal(c.success, true, c.error);
      assert.deepEqual((c.output as Record<string, unknown>)['content'], { name: 'Rex', photoUrls: [], status: 'available', id: 10 });
      const seen = lastTo('/v2/pet');
      assert.equal(seen.method, 'POST');
      assert.equal(seen.headers['content-type'], 'application/json');
      assert.equal(seen.headers['authorization'], 'Bearer oauth-token-1');
      assert.ok(!JSON.stringify(c).includes('oauth-token-1') && !JSON.stringify(c).includes('client-s3cret'), 'OAuth2 secrets leaked');
    }
    assert.equal(tokenRequests, 1, 'the token is fetched once and reused until it expires');
  });

  it('findPetsByStatus sends an exploded array query (3.0 explode: true, 2.0 collectionFormat multi)', async () => {
    for (const doc of ['3.0/petstore.json', '2.0/petstore.yaml']) {
      const c = await executor.run('find', {
        call_type: 'openapi',
        document: { endpoint: `${server.origin}/docs/${doc}` },
        operation_id: 'findPetsByStatus',
        parameters: { status: ['available', 'sold'] },
        authentication: { bearer: { token: 'b-token-123' } },
      });
      assert.equal(c.success, true, c.error);
      assert.equal(lastTo('/v2/pet/findByStatus').url, '/v2/pet/findByStatus?status=available&status=sold');
      assert.deepEqual((c.output as Record<string, unknown>)['content'], [{ id: 1, status: 'available' }, { id: 2, status: 'sold' }]);
      assert.equal(((c.output as Record<string, Record<string, Record<string, string>>>)['request'] ?? {})['headers']?.['Authorization'], 'Bearer ***');
    }
  });

  it('updatePetWithForm sends a form-urlencoded body (Swagger 2.0 formData fields as parameters, 3.0 body)', async () => {
    const c2 = await executor.run('form', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/2.0/petstore.json` }, operation_id: 'updatePetWithForm', parameters: { petId: 7, name: 'Rex Jr', status: 'sold' } });
    assert.equal(c2.success, true, c2.error);
    assert.deepEqual((c2.output as Record<string, unknown>)['content'], { form: { name: 'Rex Jr', status: 'sold' }, type: 'application/x-www-form-urlencoded' });
    const c3 = await executor.run('form', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'updatePetWithForm', parameters: { petId: 7, body: { name: 'A&B' } } });
    assert.equal(c3.success, true, c3.error);
    assert.equal(lastTo('/v2/pet/7').body, 'name=A%26B');
  });

  it('deletePet sends a header parameter; loginUser sends query parameters and reports response headers', async () => {
    const d = await executor.run('del', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.1/petstore.yaml` }, operation_id: 'deletePet', parameters: { petId: 3, api_key: 'del-key' } });
    assert.equal(d.success, true, d.error);
    assert.equal(lastTo('/v2/pet/3').method, 'DELETE');
    const l = await executor.run('login', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.yaml` }, operation_id: 'loginUser', parameters: { username: 'ada lovelace', password: 'x' } });
    assert.equal(l.success, true, l.error);
    assert.equal(lastTo('/v2/user/login').url, '/v2/user/login?username=ada%20lovelace&password=x');
    const headers = (l.output as Record<string, Record<string, string[]>>)['headers'] ?? {};
    assert.deepEqual(headers['X-Rate-Limit'], ['5000']);
  });

  it('basic authentication and apikey in the query reach getInventory', async () => {
    const b = await executor.run('inv', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'getInventory', parameters: {}, authentication: { basic: { username: 'ada', password: 'pa55word' } } });
    assert.equal(b.success, true, b.error);
    assert.ok(!JSON.stringify(b).includes('pa55word') && !JSON.stringify(b).includes(Buffer.from('ada:pa55word').toString('base64')));
    const q = await executor.run('inv', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'getInventory', parameters: {}, authentication: { type: 'apikey', config: { key: 'api_key', value: 'q-key', in: 'query' } } });
    assert.equal(q.success, true, q.error);
    assert.equal(lastTo('/v2/store/inventory').url, '/v2/store/inventory?api_key=q-key');
    assert.equal(((q.output as Record<string, Record<string, string>>)['request'] ?? {})['url'], `${server.origin}/v2/store/inventory`);
    assert.ok(!JSON.stringify(q).includes('q-key'));
  });

  it('a 404 is a failed completion with the output, never a dead letter', async () => {
    const c = await executor.run('missing', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'getPetById', parameters: { petId: 404 }, authentication: { type: 'apikey', config: { key: 'api_key', value: 'special-key' } } });
    assert.equal(c.success, false);
    assert.equal(c.error, 'HTTP request failed with status 404');
    assert.equal((c.output as Record<string, unknown>)['status_code'], 404);
    assert.deepEqual((c.output as Record<string, unknown>)['content'], { message: 'Pet not found' });
  });

  it('an unknown operation names the operations that exist; a missing required parameter is a validation error', async () => {
    const u = await executor.run('nope', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'getPetByName', parameters: {} });
    assert.equal(u.success, false);
    assert.match(u.error, /^OpenAPI operation failed: failed to resolve operation: operation with id 'getPetByName' not found \(available: addPet, updatePet, findPetsByStatus, findPetsByTags, getPetById/);
    assert.equal(u.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
    const m = await executor.run('nope', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.0/petstore.json` }, operation_id: 'getPetById', parameters: { petId: '${ .input.none }' } });
    assert.equal(m.error, "OpenAPI operation failed: failed to build request: required parameter 'petId' is missing");
    assert.equal(m.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
  });

  it('parameter styles from the parameters-style catalogue: cookies, headers, path and query (exploded and not)', async () => {
    const doc = { endpoint: `${server.origin}/docs/3.0/parameters-style.json` };
    const values = { primitive: 'x y', array: ['a', 'b'], object: { k: 'v', n: 1 } };
    const cases: [string, (s: Seen) => void][] = [
      ['cookies_form_nonExploded', (s) => assert.equal(s.headers['cookie'], 'primitive=x%20y; array=a,b; object=k,v,n,1')],
      ['cookies_form_exploded', (s) => assert.equal(s.headers['cookie'], 'primitive=x%20y; array=a; array=b; k=v; n=1')],
      ['headers_simple_nonExploded', (s) => assert.deepEqual([s.headers['primitive'], s.headers['array'], s.headers['object']], ['x y', 'a,b', 'k,v,n,1'])],
      ['headers_simple_exploded', (s) => assert.equal(s.headers['object'], 'k=v,n=1')],
      ['paths_simple_nonExploded', (s) => assert.equal(s.url, '/anything/path/simple/x%20y/a,b/k,v,n,1')],
      ['paths_label_exploded', (s) => assert.equal(s.url, '/anything/path/label/.x%20y/.a.b/.k=v.n=1')],
      ['paths_matrix_nonExploded', (s) => assert.equal(s.url, '/anything/path/matrix/;primitive=x%20y/;array=a,b/;object=k,v,n,1')],
      ['query_form_exploded', (s) => assert.equal(s.url, '/anything/query/form?primitive=x%20y&array=a&array=b&k=v&n=1')],
      ['query_form_nonExploded', (s) => assert.equal(s.url, '/anything/query/form?primitive=x%20y&array=a,b&object=k,v,n,1')],
      ['query_pipeDelimited_nonExploded', (s) => assert.equal(s.url, '/anything/query/pipeDelimited?array=a|b&object=k|v|n|1')],
      ['query_deepObject_nonExploded', (s) => assert.equal(s.url, '/anything/query/deepObject?object%5Bk%5D=v&object%5Bn%5D=1')],
    ];
    for (const [operation, check] of cases) {
      const c = await executor.run('style', { call_type: 'openapi', document: doc, operation_id: operation, parameters: values });
      assert.equal(c.success, true, `${operation}: ${c.error}`);
      const seen = server.seen.at(-1);
      assert.ok(seen);
      check(seen);
    }
  });

  it('documents are fetched once per URL within the cache TTL, concurrent loads included', async () => {
    const fresh = new Executor();
    await fresh.start();
    try {
      const before = server.seen.filter((s) => s.url === '/docs/3.1/petstore.json').length;
      const ids = [1, 2, 3, 4].map((i) => fresh.submit('many', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/3.1/petstore.json` }, operation_id: 'getPetById', parameters: { petId: i }, authentication: { type: 'apikey', config: { key: 'api_key', value: 'special-key' } } }));
      for (const id of ids) assert.equal((await fresh.completion(id)).success, true);
      assert.equal(server.seen.filter((s) => s.url === '/docs/3.1/petstore.json').length - before, 1);
      assert.equal(fresh.metrics.count('openapi_cache', 'miss'), 1);
      assert.equal(fresh.metrics.count('openapi_cache', 'hit'), 3);
    } finally {
      await fresh.stop();
    }
  });
});
