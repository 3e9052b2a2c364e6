/**
 * Secrets of call tasks against a real local server that echoes what it received: credentials
 * are sent where they belong and never come back out of the executor, in any encoding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor, json, LocalServer } from './support/call-harness';

const QUERY_SECRET = 'SENTINEL-5ECRET-xyz n+/=';
const QUOTED_TOKEN = 'TOKEN-4SECRET"quoted\\back';

function openApiDocument(serverUrl: string): string {
  const parameters = [
    { name: 'api_key', in: 'query', schema: { type: 'string' } },
    { name: 'page', in: 'query', schema: { type: 'integer' } },
  ];
  const operation = (operationId: string): unknown => ({ operationId, parameters, responses: { '200': { description: 'ok' } } });
  return JSON.stringify({ openapi: '3.0.3', info: { title: 'echo', version: '1' }, servers: [{ url: serverUrl }], paths: { '/items': { get: operation('listItems') }, '/fail': { get: operation('failing') } } });
}

const server = new LocalServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/docs/api.json') return json(res, 200, JSON.parse(openApiDocument(server.origin)));
  if (url.pathname === '/docs/with-userinfo.json') return json(res, 200, JSON.parse(openApiDocument(`http://svc-user:PW-IN-SERVER-URL@127.0.0.1:${server.port}`)));
  if (url.pathname === '/fail') return json(res, 500, { url: req.url, headers: req.headers });
  if (url.pathname === '/deep') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return void res.end('['.repeat(100_000) + ']'.repeat(100_000));
  }
  return json(res, 200, { url: req.url, headers: req.headers });
});

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function errorData(c: CompletedPayload): Record<string, unknown> {
  return (c.error_details?.['data'] ?? {}) as Record<string, unknown>;
}

/** Everything a completion carries out of the process, as one text. */
function published(c: CompletedPayload): string {
  return JSON.stringify(c);
}

describe('call tasks never echo a credential, in any encoding', () => {
  const executor = new Executor();
  before(async () => {
    await server.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('an API key sent in the query is used, and hidden even where the server echoes it form-encoded', async () => {
    const c = await executor.run('apikey', { url: `${server.origin}/echo`, authentication: { type: 'apikey', config: { key: 'k', value: QUERY_SECRET, in: 'query' } } });
    assert.equal(c.success, true, c.error);
    assert.equal(new URL(server.seen.at(-1)!.url, 'http://x').searchParams.get('k'), QUERY_SECRET, 'the key was sent');
    assert.doesNotMatch(published(c), /5ECRET/);
    assert.doesNotMatch(JSON.stringify(executor.logger.records), /5ECRET/);
  });

  it('a bearer token with a quote and a backslash is hidden in an echoed body kept as text', async () => {
    const c = await executor.run('bearer', { url: `${server.origin}/fail`, output: 'response', authentication: { bearer: { token: QUOTED_TOKEN } } });
    assert.equal(c.success, false);
    assert.equal(server.seen.at(-1)!.headers['authorization'], `Bearer ${QUOTED_TOKEN}`, 'the token was sent');
    assert.match(String((c.output as { body: string }).body), /"authorization":"Bearer \*\*\*"/);
    assert.doesNotMatch(published(c), /4SECRET/);
  });
});

describe('credentials and API keys written into a call URL', () => {
  const executor = new Executor();
  before(async () => {
    await server.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('sends user info as basic authentication, strips it from the URL and never echoes it', async () => {
    const c = await executor.run('userinfo', { url: `http://api-user:PASS-w0rd%40x@127.0.0.1:${server.port}/echo?page=1` });
    assert.equal(c.success, true, c.error);
    const seen = server.seen.at(-1)!;
    assert.equal(seen.headers['authorization'], basic('api-user', 'PASS-w0rd@x'));
    assert.equal(seen.url, '/echo?page=1');
    assert.equal(c.data.input['url'], `http://127.0.0.1:${server.port}/echo?page=1`);
    assert.doesNotMatch(published(c), /PASS-w0rd|api-user:/);
    assert.doesNotMatch(published(c), new RegExp(Buffer.from('api-user:PASS-w0rd@x').toString('base64')));
  });

  it('keeps user info out of the error details of a failed call', async () => {
    const c = await executor.run('userinfoFails', { url: `http://api-user:PASS-w0rd@127.0.0.1:${server.port}/fail` });
    assert.equal(c.success, false);
    assert.equal(errorData(c)['endpoint'], `http://127.0.0.1:${server.port}/fail`);
    assert.doesNotMatch(published(c), /PASS-w0rd/);
  });

  it('refuses user info next to another authentication, naming the conflict without the secret, before sending anything', async () => {
    const before = server.seen.length;
    const c = await executor.run('conflict', { url: `http://api-user:PASS-w0rd@127.0.0.1:${server.port}/echo`, authentication: { bearer: { token: 'other-token-1' } } });
    assert.equal(c.success, false);
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
    assert.match(c.error, /carries credentials \(user info\) and the task also has bearer authentication/);
    assert.doesNotMatch(published(c), /PASS-w0rd|other-token-1/);
    assert.equal(server.seen.length, before);
  });

  it('sends API keys typed into the query and echoes them as ***, in the input, the error details and the logs', async () => {
    const url = `http://127.0.0.1:${server.port}/fail?api_key=abc&access_token=AT-secret-1&Token=t0k3n-value&page=2`;
    const c = await executor.run('queryKeys', { url });
    assert.equal(c.success, false);
    const sent = new URL(server.seen.at(-1)!.url, 'http://x').searchParams;
    assert.deepEqual([sent.get('api_key'), sent.get('access_token'), sent.get('Token')], ['abc', 'AT-secret-1', 't0k3n-value'], 'the real values are sent');
    const echoed = `http://127.0.0.1:${server.port}/fail?api_key=***&access_token=***&Token=***&page=2`;
    assert.equal(c.data.input['url'], echoed);
    assert.equal(errorData(c)['endpoint'], echoed);
    // Values of 4 characters or more are also blanked where the server echoes them back; shorter
    // ones (`abc`) only in the URLs the executor itself publishes.
    assert.doesNotMatch(published(c), /AT-secret-1|t0k3n-value/);
    assert.doesNotMatch(JSON.stringify(executor.logger.records), /AT-secret-1|t0k3n-value/);
  });

  it('fails a call whose JSON response nests 100,000 levels deep with a clear error, on the first delivery', async () => {
    const c = await executor.run('deepAnswer', { url: `http://127.0.0.1:${server.port}/deep` });
    assert.equal(c.success, false);
    assert.equal(errorData(c)['code'], 'RESPONSE_TOO_DEEP');
    assert.match(c.error, /nests deeper than 256 levels/);
    assert.equal(c.attempt, 1);
  });

  it('treats a user name alone as a token, and generic credential names in the query (key, sig) as secret', async () => {
    const c = await executor.run('tokenUser', { url: `http://ghp_SENTINEL5ECRET@127.0.0.1:${server.port}/fail?key=AIzaSENTINELkey&sig=SIGsentinel9&page=3` });
    assert.equal(c.success, false);
    const seen = server.seen.at(-1)!;
    assert.equal(seen.headers['authorization'], basic('ghp_SENTINEL5ECRET', ''));
    assert.equal(c.data.input['url'], `http://127.0.0.1:${server.port}/fail?key=***&sig=***&page=3`);
    assert.doesNotMatch(published(c), /ghp_SENTINEL5ECRET|AIzaSENTINELkey|SIGsentinel9/);
  });

  it('masks an API key passed as an OpenAPI query parameter in the request echo and the error details', async () => {
    const document = { endpoint: `${server.origin}/docs/api.json?access_token=DOC-token-99` };
    const ok = await executor.run('openApiKey', { call_type: 'openapi', document, operation_id: 'listItems', parameters: { api_key: 'OAS-key-123', page: 3 } });
    assert.equal(ok.success, true, ok.error);
    assert.equal(new URL(server.seen.at(-1)!.url, 'http://x').searchParams.get('api_key'), 'OAS-key-123');
    const output = ok.output as { request: { url: string } };
    assert.equal(output.request.url, `${server.origin}/items?api_key=***&page=3`);
    assert.deepEqual(ok.data.input['document'], { endpoint: `${server.origin}/docs/api.json?access_token=***` });
    assert.doesNotMatch(published(ok), /OAS-key-123|DOC-token-99/);

    const failed = await executor.run('openApiKeyFails', { call_type: 'openapi', document, operation_id: 'failing', parameters: { api_key: 'OAS-key-123' } });
    assert.equal(failed.success, false);
    assert.equal(errorData(failed)['endpoint'], `${server.origin}/fail?api_key=***`);
    assert.doesNotMatch(published(failed), /OAS-key-123/);
  });

  it('sends user info in an OpenAPI server URL as basic authentication and never echoes it', async () => {
    const c = await executor.run('openApiUserinfo', { call_type: 'openapi', document: { endpoint: `${server.origin}/docs/with-userinfo.json` }, operation_id: 'listItems', parameters: {} });
    assert.equal(c.success, true, c.error);
    assert.equal(server.seen.at(-1)!.headers['authorization'], basic('svc-user', 'PW-IN-SERVER-URL'));
    assert.equal((c.output as { request: { url: string } }).request.url, `http://127.0.0.1:${server.port}/items`);
    assert.doesNotMatch(published(c), /PW-IN-SERVER-URL/);
  });
});
