/**
 * Security from the OpenAPI document, end to end through the executor: real local servers for
 * the API (which checks the credentials it is sent), for an OAuth2 token endpoint on another port
 * (which checks the client and records the scopes asked for), and for an attacker whose document
 * names the same schemes. Operator credentials come from a CALL_CREDENTIALS_FILE whose secrets
 * are read from the environment and from a file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const EXAMPLES = path.dirname(require.resolve('@readme/oas-examples/package.json'));

const API_KEY = 'operator-api-key-0001';
const BEARER = 'operator-bearer-0002';
const CLIENT_SECRET = 'operator-client-secret-0003';
const PETSTORE_KEY = 'special-key';

/** The document of the API: one operation per way of asking for credentials. */
function securedDocument(origin: string, tokenOrigin: string): object {
  const echo = (operationId: string, security?: unknown): object => ({ get: { operationId, ...(security === undefined ? {} : { security }), responses: { '200': { description: 'echo' } } } });
  return {
    openapi: '3.0.3',
    info: { title: 'Things', version: '1' },
    servers: [{ url: `${origin}/v1` }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        basicAuth: { type: 'http', scheme: 'basic' },
        keyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        keyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
        keyCookie: { type: 'apiKey', in: 'cookie', name: 'session' },
        clientCreds: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${tokenOrigin}/oauth/token`, scopes: { 'things:read': 'read', 'things:write': 'write' } } } },
        oidc: { type: 'openIdConnect', openIdConnectUrl: `${tokenOrigin}/.well-known/openid-configuration` },
      },
    },
    paths: {
      '/global': echo('usesGlobal'),
      '/oauth': echo('readWithOAuth', [{ clientCreds: ['things:read', 'things:write'] }]),
      '/either': echo('keyOrBasic', [{ basicAuth: [] }, { keyHeader: [] }]),
      '/both': echo('keyInQueryAndCookie', [{ keyQuery: [], keyCookie: [] }]),
      '/public': echo('publicThing', []),
      '/oidc': echo('oidcOnly', [{ oidc: [] }]),
      '/moved': echo('moved', [{ keyHeader: [] }]),
    },
  };
}

/** The attacker's document: same scheme names, servers and token URL on the attacker's host. */
function attackerDocument(origin: string): object {
  return {
    openapi: '3.0.3',
    info: { title: 'Looks like Things', version: '1' },
    servers: [{ url: origin }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        keyHeader: { type: 'apiKey', in: 'query', name: 'leak' },
        clientCreds: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${origin}/oauth/token`, scopes: {} } } },
      },
    },
    paths: { '/steal': { get: { operationId: 'steal', responses: { '200': { description: 'ok' } } } }, '/steal-key': { get: { operationId: 'stealKey', security: [{ keyHeader: [] }], responses: { '200': { description: 'ok' } } } } },
  };
}

describe('call: openapi with the security of the document', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-call-security-'));
  const scopesAsked: string[] = [];
  let tokens = 0;
  const tokenServer = new LocalServer((req: Seen, res) => {
    if (req.method !== 'POST' || req.url !== '/oauth/token') return json(res, 404, {});
    const form = new URLSearchParams(req.body);
    const basic = `Basic ${Buffer.from(`things-app:${CLIENT_SECRET}`).toString('base64')}`;
    if (req.headers['authorization'] !== basic || form.get('grant_type') !== 'client_credentials') return json(res, 401, { error: 'invalid_client' });
    scopesAsked.push(form.get('scope') ?? '');
    tokens++;
    json(res, 200, { access_token: `access-token-${tokens}`, token_type: 'Bearer', expires_in: 3600 });
  });
  const api = new LocalServer((req: Seen, res) => {
    const url = new URL(req.url, api.origin);
    if (url.pathname === '/docs/things.json' || /^\/docs\/[^/]+\/things\.json$/.test(url.pathname)) return json(res, 200, securedDocument(api.origin, tokenServer.origin));
    if (url.pathname === '/docs/petstore.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(fs.readFileSync(path.join(EXAMPLES, '3.0/json/petstore.json'), 'utf8').split('http://petstore.swagger.io').join(api.origin));
    }
    if (url.pathname === '/v1/moved') {
      res.writeHead(302, { Location: `${attacker.origin}/collect` });
      return void res.end();
    }
    if (url.pathname === '/v2/pet/7') {
      if (req.headers['api_key'] !== PETSTORE_KEY) return json(res, 401, { message: 'no api key' });
      return json(res, 200, { id: 7, name: 'doggie' });
    }
    json(res, 200, { path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers['authorization'] ?? null, apiKey: req.headers['x-api-key'] ?? null, cookie: req.headers['cookie'] ?? null });
  });
  const attacker = new LocalServer((req: Seen, res) => {
    const url = new URL(req.url, attacker.origin);
    if (url.pathname === '/evil.json') return json(res, 200, attackerDocument(attacker.origin));
    json(res, 200, {});
  });
  let executor: Executor;
  let thingsDoc: string;

  before(async () => {
    await Promise.all([tokenServer.start(), api.start(), attacker.start()]);
    thingsDoc = `${api.origin}/docs/things.json`;
    fs.writeFileSync(path.join(dir, 'client-secret'), `${CLIENT_SECRET}\n`);
    const apiHost = `127.0.0.1:${api.port}`;
    const credentials = {
      credentials: [
        { scheme: 'bearerAuth', document: thingsDoc, hosts: [apiHost], allow_http: true, token_env: 'THINGS_BEARER' },
        { scheme: 'keyHeader', document: thingsDoc, hosts: [apiHost], allow_http: true, api_key_env: 'THINGS_KEY' },
        { scheme: 'keyQuery', document: thingsDoc, hosts: [apiHost], allow_http: true, api_key_env: 'THINGS_KEY' },
        { scheme: 'keyCookie', document: thingsDoc, hosts: [apiHost], allow_http: true, api_key: 'cookie-value-0004' },
        // The token endpoint is another host:port: it must be bound as well.
        { scheme: 'clientCreds', document: thingsDoc, hosts: [apiHost, `127.0.0.1:${tokenServer.port}`], allow_http: true, client_id: 'things-app', client_secret_file: 'client-secret', client_authentication: 'client_secret_basic' },
        // The published Petstore, bound to the document only (its own host), for tenant acme only.
        { scheme: 'api_key', document: `${api.origin}/docs/petstore.json`, tenants: ['acme'], allow_http: true, api_key_env: 'PETSTORE_KEY' },
      ],
    };
    const file = path.join(dir, 'credentials.yaml');
    fs.writeFileSync(file, JSON.stringify(credentials));
    executor = new Executor({ CALL_CREDENTIALS_FILE: file, THINGS_BEARER: BEARER, THINGS_KEY: API_KEY, PETSTORE_KEY });
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await Promise.all([tokenServer.stop(), api.stop(), attacker.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = (operationId: string, extra: Record<string, unknown> = {}, document = thingsDoc, tenant = 'acme') =>
    executor.run(operationId, { call_type: 'openapi', document: { endpoint: document }, operation_id: operationId, parameters: {}, ...extra }, { tenant });

  /** The echo of the API, and the published outcome, which never holds a secret. */
  const echoOf = (outcome: Awaited<ReturnType<typeof call>>): Record<string, unknown> => {
    const published = JSON.stringify(outcome);
    for (const secret of [API_KEY, BEARER, CLIENT_SECRET, 'cookie-value-0004', 'access-token-']) assert.ok(!published.includes(secret), `${secret} is published`);
    assert.equal(outcome.success, true, JSON.stringify(outcome.error_details ?? outcome.error));
    return (outcome.output as { content: Record<string, unknown> }).content;
  };

  it('applies the document\'s global requirement (http bearer) from the operator\'s credential', async () => {
    const outcome = await call('usesGlobal');
    const seen = api.seen.find((s) => s.url === '/v1/global');
    assert.equal(seen?.headers['authorization'], `Bearer ${BEARER}`);
    assert.equal(echoOf(outcome)['authorization'], 'Bearer ***');
  });

  it('OAuth2 client credentials: the token endpoint is asked for the scopes the operation lists, and the token is sent', async () => {
    const outcome = await call('readWithOAuth');
    echoOf(outcome);
    assert.deepEqual(scopesAsked, ['things:read things:write']);
    assert.equal(api.seen.find((s) => s.url === '/v1/oauth')?.headers['authorization'], 'Bearer access-token-1');
    await call('readWithOAuth');
    assert.equal(tokens, 1, 'the token is reused until it expires');
  });

  it('takes the first alternative it can satisfy (no basic credential: the API key)', async () => {
    echoOf(await call('keyOrBasic'));
    const seen = api.seen.find((s) => s.url === '/v1/either');
    assert.equal(seen?.headers['x-api-key'], API_KEY);
    assert.equal(seen?.headers['authorization'], undefined);
  });

  it('applies every scheme of a requirement (API key in the query and in a cookie)', async () => {
    echoOf(await call('keyInQueryAndCookie'));
    const seen = api.seen.find((s) => s.url.startsWith('/v1/both'));
    assert.equal(seen?.url, `/v1/both?api_key=${API_KEY}`);
    assert.equal(seen?.headers['cookie'], 'session=cookie-value-0004');
  });

  it('an operation that asks for nothing is called without credentials', async () => {
    echoOf(await call('publicThing'));
    const seen = api.seen.find((s) => s.url === '/v1/public');
    assert.equal(seen?.headers['authorization'], undefined);
  });

  it('a task names a scheme and gives its own secret; the document says where it goes', async () => {
    echoOf(await call('publicThing', { authentication: { use: 'basicAuth', basic: { username: 'ada', password: 'task-pa55word' } } }));
    const seen = api.seen.filter((s) => s.url === '/v1/public').at(-1);
    assert.equal(seen?.headers['authorization'], `Basic ${Buffer.from('ada:task-pa55word').toString('base64')}`);
  });

  it('a task names a scheme with no secret: the operator\'s credential is used', async () => {
    echoOf(await call('publicThing', { authentication: { use: 'keyHeader' } }));
    assert.equal(api.seen.filter((s) => s.url === '/v1/public').at(-1)?.headers['x-api-key'], API_KEY);
  });

  it('the published Petstore: getPetById gets the api_key the operator configured for that document and tenant', async () => {
    const outcome = await call('getPetById', { parameters: { petId: 7 } }, `${api.origin}/docs/petstore.json`);
    assert.equal(outcome.success, true, JSON.stringify(outcome.error_details));
    const other = await call('getPetById', { parameters: { petId: 7 } }, `${api.origin}/docs/petstore.json`, 'globex');
    assert.equal(other.success, false);
    assert.equal((other.error_details?.['data'] as { code?: string } | undefined)?.code, 'CREDENTIAL_MISSING');
    assert.equal(other.error, "OpenAPI operation failed: failed to apply authentication: no credential is configured for security scheme 'api_key' (for this tenant and document): give it in the task's authentication or in CALL_CREDENTIALS_FILE");
    // Its write operations ask for petstore_auth, an implicit flow: that needs a user, which a task has not.
    const add = await call('addPet', { parameters: { body: { name: 'rex', photoUrls: [] } } }, `${api.origin}/docs/petstore.json`);
    assert.equal((add.error_details?.['data'] as { code?: string } | undefined)?.code, 'SECURITY_SCHEME_UNSUPPORTED');
    assert.match(add.error ?? '', /security scheme 'petstore_auth' is oauth2 \(implicit\): only the clientCredentials flow is supported/);
  });

  it('clear configuration errors: unknown scheme, unsupported type, nothing configured', async () => {
    const unknown = await call('publicThing', { authentication: { use: 'bearerAuht' } });
    assert.equal((unknown.error_details?.['data'] as { code?: string } | undefined)?.code, 'SECURITY_SCHEME_NOT_FOUND');
    assert.match(unknown.error ?? '', /security scheme 'bearerAuht' is not defined by the document \(defined: bearerAuth, basicAuth/);
    const oidc = await call('oidcOnly');
    assert.equal((oidc.error_details?.['data'] as { code?: string } | undefined)?.code, 'SECURITY_SCHEME_UNSUPPORTED');
    assert.match(oidc.error ?? '', /security scheme 'oidc' is openIdConnect: OpenID Connect discovery is not supported/);
    const missing = await call('publicThing', { authentication: { use: 'basicAuth' } });
    assert.equal((missing.error_details?.['data'] as { code?: string } | undefined)?.code, 'CREDENTIAL_MISSING');
    assert.equal(missing.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
    assert.ok(!api.seen.some((s) => s.url === '/v1/oidc'), 'a refused call is not sent');
  });

  it('a call carrying an operator credential does not follow a redirect to another host', async () => {
    const outcome = await call('moved', { redirect: true });
    assert.equal(outcome.success, true, outcome.error);
    assert.equal((outcome.output as { status_code: number }).status_code, 302);
    assert.equal(api.seen.find((s) => s.url === '/v1/moved')?.headers['x-api-key'], API_KEY);
    assert.ok(!attacker.seen.some((s) => s.url === '/collect'), 'the redirect was followed to the attacker');
  });

  it('an attacker\'s document naming the same schemes never receives an operator secret', async () => {
    const evil = `${attacker.origin}/evil.json`;
    const global = await call('steal', {}, evil);
    const named = await call('steal', { authentication: { use: 'bearerAuth' } }, evil);
    const key = await call('stealKey', {}, evil);
    const oauth = await call('steal', { authentication: { use: 'clientCreds' } }, evil);
    for (const outcome of [global, named, key, oauth]) {
      assert.equal(outcome.success, false);
      assert.equal((outcome.error_details?.['data'] as { code?: string } | undefined)?.code, 'CREDENTIAL_MISSING', outcome.error);
    }
    const received = JSON.stringify(attacker.seen);
    for (const secret of [API_KEY, BEARER, CLIENT_SECRET, 'access-token-']) assert.ok(!received.includes(secret), `${secret} reached the attacker`);
    assert.deepEqual([...new Set(attacker.seen.map((s) => s.url))], ['/evil.json'], 'only the document was fetched from the attacker');
  });

  it('a task\'s own API key header (and a secret header it sets) is not carried by a redirect to another origin', async () => {
    const own = 'task-own-key-0005';
    const openapi = await call('moved', { redirect: true, authentication: { use: 'keyHeader', apikey: { value: own } } });
    assert.equal(openapi.success, true, openapi.error);
    const http = await executor.run('plain-moved', { call_type: 'http', method: 'GET', url: `${api.origin}/v1/moved`, redirect: true, headers: { 'X-Signature': own }, authentication: { apikey: { key: 'X-Custom-Key', value: own, in: 'header' } } });
    assert.equal(http.success, true, http.error);
    const sent = api.seen.filter((s) => s.url === '/v1/moved').slice(-2);
    assert.deepEqual(sent.map((s) => [s.headers['x-api-key'] ?? s.headers['x-custom-key'], s.headers['x-signature'] ?? null]), [[own, null], [own, own]], 'the API itself got the keys');
    const collected = attacker.seen.filter((s) => s.url === '/collect');
    assert.equal(collected.length, 2, 'both redirects were followed');
    assert.ok(!JSON.stringify(collected).includes(own), `the task's key reached the other origin: ${JSON.stringify(collected.map((s) => s.headers))}`);
  });

  it('the completion names the document without a secret that is part of its URL', async () => {
    const own = 'task-doc-key-0006';
    const outcome = await call('publicThing', { authentication: { use: 'keyHeader', apikey: { value: own } } }, `${api.origin}/docs/${own}/things.json`);
    assert.equal(outcome.success, true, outcome.error);
    assert.equal(api.seen.filter((s) => s.url === '/v1/public').at(-1)?.headers['x-api-key'], own);
    assert.equal(outcome.data.metadata.document?.url, `${api.origin}/docs/***/things.json`);
    assert.ok(!JSON.stringify(outcome).includes(own), 'the key is published');
  });
});
