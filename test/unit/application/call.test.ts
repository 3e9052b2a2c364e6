import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { applyAuthentication, OAuth2TokenCache, parseAuthentication, secretsOf } from '../../../src/application/handlers/call/authentication';
import { flattenCallParameters, parseCallConfig } from '../../../src/application/handlers/call/call-config';
import { checkRequestHeaders } from '../../../src/application/handlers/call/header-validation';
import { base64, canonicalHeaderName, canonicalHeaders, parseBody } from '../../../src/application/handlers/call/http-message';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { WorkflowError } from '../../../src/domain/workflow-error';

function detailOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WorkflowError);
    return error.detail;
  }
  assert.fail('expected an error');
}

describe('call configuration', () => {
  it('infers the call type like Go and accepts the SDL forms', () => {
    assert.equal(parseCallConfig({ url: 'https://a.test' }).callType, 'http');
    assert.equal(parseCallConfig({ endpoint: { uri: 'https://a.test' } }).callType, 'http');
    assert.equal(parseCallConfig({ document: { endpoint: 'https://a.test/o.json' }, operation_id: 'x' }).callType, 'openapi');
    const sdl = parseCallConfig(flattenCallParameters({ call: 'openapi', with: { document: { endpoint: { uri: 'https://a.test/o.yaml' } }, operationId: 'op' } }));
    assert.equal(sdl.callType === 'openapi' && sdl.documentUrl, 'https://a.test/o.yaml');
    const http = parseCallConfig({ url: 'https://a.test', method: 'patch' });
    assert.equal(http.callType === 'http' && http.method, 'PATCH');
  });

  it("keeps Go's configuration error texts", () => {
    assert.equal(detailOf(() => parseCallConfig({})), 'missing call configuration');
    assert.equal(detailOf(() => parseCallConfig({ method: 'GET' })), 'unable to determine call type from configuration');
    assert.equal(detailOf(() => parseCallConfig({ call_type: 'http' })), 'call configuration validation failed: url is required for HTTP calls');
    assert.equal(detailOf(() => parseCallConfig({ call_type: 'soap', url: 'x' })), 'call configuration validation failed: unsupported call type: soap');
    assert.equal(detailOf(() => parseCallConfig({ url: 'x', output: 'xml' })), 'call configuration validation failed: unsupported output format: xml (supported: content, response, raw)');
  });

  it('takes an output object as an output transformation, not a format', () => {
    const c = parseCallConfig({ url: 'x', output: { as: '${ .data }' } });
    assert.equal(c.output, undefined);
    assert.equal(c.outputAs, '${ .data }');
  });
});

describe('http messages', () => {
  it('canonicalises header names as Go does', () => {
    assert.equal(canonicalHeaderName('x-trace-id'), 'X-Trace-Id');
    assert.equal(canonicalHeaderName('CONTENT-TYPE'), 'Content-Type');
    assert.deepEqual(canonicalHeaders({ 'set-cookie': ['a=1', 'b=2'], etag: ['"x"'] }), { Etag: ['"x"'], 'Set-Cookie': ['a=1', 'b=2'] });
  });
  it('parses any JSON body and keeps other text', () => {
    assert.equal(parseBody(''), null);
    assert.deepEqual(parseBody('[1,2]'), [1, 2]);
    assert.equal(parseBody('"s"'), 's');
    assert.equal(parseBody('<html>'), '<html>');
  });
  it('encodes standard padded base64', () => {
    for (const text of ['', 'a', 'ab', 'abc', 'hello world', 'ünïcødé']) {
      const bytes = new TextEncoder().encode(text);
      assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'));
    }
  });
});

describe('request header validation', () => {
  it('accepts every RFC 9110 token character in names, and tabs and Latin-1 in values', () => {
    assert.doesNotThrow(() => checkRequestHeaders({ "X-A!#$%&'*+.^_`|~9": 'v', Accept: 'a/b;\tq=0.9', 'X-Name': 'Zoë' }));
  });
  it('refuses a control character or a code point above Latin-1 in a value', () => {
    assert.throws(() => checkRequestHeaders({ 'X-A': 'a\u0007b' }), /control character/);
    assert.throws(() => checkRequestHeaders({ 'X-A': '☃' }), /outside Latin-1/);
    assert.throws(() => checkRequestHeaders({ '': 'v' }), /invalid request header name ""/);
  });
});

describe('authentication', () => {
  it('reads the flunq and SDL shapes', () => {
    assert.deepEqual(parseAuthentication({ type: 'bearer', config: { token: 't' } }), { kind: 'bearer', token: 't' });
    assert.deepEqual(parseAuthentication({ basic: { username: 'u', password: 'p' } }), { kind: 'basic', username: 'u', password: 'p' });
    assert.deepEqual(parseAuthentication({ type: 'apikey', config: { key: 'k', value: 'v' } }), { kind: 'apikey', key: 'k', value: 'v', location: 'header' });
    const o = parseAuthentication({ oauth2: { authority: 'https://id.test/', grant: 'client_credentials', client: { id: 'c', secret: 's' }, scopes: ['a', 'b'] } });
    assert.equal(o?.kind === 'oauth2' && o.tokenUrl, 'https://id.test/oauth2/token');
    assert.equal(detailOf(() => parseAuthentication({ oauth2: { authority: 'https://id.test', grant: 'password', client: { id: 'c', secret: 's' } } })), 'unsupported OAuth2 grant: password (supported: client_credentials)');
  });

  it('lists the basic credentials an OAuth2 client sends to the token endpoint among the secrets', () => {
    const auth = parseAuthentication({ oauth2: { token_url: 'https://id.test/token', client: { id: 'app one', secret: 's3cr3t/x', authentication: 'client_secret_basic' } } });
    const credentials = Buffer.from(`${encodeURIComponent('app one')}:${encodeURIComponent('s3cr3t/x')}`).toString('base64');
    assert.deepEqual(secretsOf(auth).values, ['s3cr3t/x', credentials]);
  });

  it('caches OAuth2 client-credentials tokens until shortly before they expire', async () => {
    const clock = new FakeClock();
    const sent: HttpRequest[] = [];
    const http: HttpClient = {
      send(request: HttpRequest): Promise<HttpResponse> {
        sent.push(request);
        const body = new TextEncoder().encode(JSON.stringify({ access_token: `tok-${sent.length}`, expires_in: 600 }));
        return Promise.resolve({ status: 200, headers: {}, body, url: request.url });
      },
      close: () => Promise.resolve(),
    };
    const cache = new OAuth2TokenCache(http, clock);
    const auth = parseAuthentication({ type: 'oauth2', config: { token_url: 'https://id.test/token', client_id: 'c', client_secret: 'shh', scopes: 'read' } });
    const target = (): { url: string; headers: Record<string, string> } => ({ url: 'https://api.test/x', headers: {} });
    const first = target();
    const secrets = await applyAuthentication(auth, first, cache, 1000);
    assert.equal(first.headers['Authorization'], 'Bearer tok-1');
    assert.ok(secrets.values.includes('tok-1') && secrets.values.includes('shh'));
    assert.equal(sent[0]?.body, 'grant_type=client_credentials&scope=read&client_id=c&client_secret=shh');
    await Promise.all([applyAuthentication(auth, target(), cache, 1000), applyAuthentication(auth, target(), cache, 1000)]);
    assert.equal(sent.length, 1);
    await clock.advance(571_000);
    const later = target();
    await applyAuthentication(auth, later, cache, 1000);
    assert.equal(later.headers['Authorization'], 'Bearer tok-2');
    assert.equal(sent.length, 2);
  });
});
