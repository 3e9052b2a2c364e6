/**
 * Security from the OpenAPI document: how each scheme type is applied, where an operator's
 * credential may go (documents, hosts, tenants, https), and which alternative of an operation's
 * requirement is taken. Documents and tasks are untrusted: the attacker cases are here too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Authentication, OAuth2TokenCache, parseAuthentication } from '../../../src/application/handlers/call/authentication';
import { DocumentSecurity, schemeUseOf, SecurityTarget } from '../../../src/application/handlers/call/document-security';
import { OperatorCredential, parseHostBinding } from '../../../src/application/handlers/call/operator-credentials';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { OperationSecurity, SecurityScheme } from '../../../src/application/ports/openapi-document-source.port';
import { FakeClock } from '../../support/fake-clock';
import { WorkflowError } from '../../../src/domain/workflow-error';

const DOC = 'https://api.example.com/openapi.json';
const SECRET = 'operator-s3cret-value';

const SCHEMES: Record<string, SecurityScheme> = {
  bearer: { type: 'http', scheme: 'bearer' },
  basic: { type: 'http', scheme: 'basic' },
  key: { type: 'apiKey', name: 'X-API-Key', in: 'header' },
  queryKey: { type: 'apiKey', name: 'api_key', in: 'query' },
  cookieKey: { type: 'apiKey', name: 'session', in: 'cookie' },
  client: { type: 'oauth2', flows: ['clientCredentials'], tokenUrl: 'https://api.example.com/oauth/token' },
  implicit: { type: 'oauth2', flows: ['implicit'] },
  oidc: { type: 'openIdConnect' },
  digest: { type: 'http', scheme: 'digest' },
  mtls: { type: 'mutualTLS' },
};

function credential(over: Partial<OperatorCredential> & Pick<OperatorCredential, 'scheme' | 'value'>): OperatorCredential {
  return { label: 'credentials[0]', documents: [DOC], hosts: [{ hostname: 'api.example.com', port: undefined }], tenants: [], allowHttp: false, pin: {}, ...over };
}

function target(security: Partial<OperationSecurity> = {}, over: Partial<SecurityTarget> = {}): SecurityTarget {
  return { tenant: 'acme', documentUrl: DOC, operationId: 'getThing', url: 'https://api.example.com/v1/things/1', security: { requirements: [], schemes: SCHEMES, ...security }, ...over };
}

function makeSut(credentials: OperatorCredential[] = []): DocumentSecurity {
  return new DocumentSecurity(credentials);
}

/** The error a resolution throws, checked to name the scheme and never the secret. */
function refusal(run: () => unknown, code: string, scheme: string): WorkflowError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof WorkflowError, String(error));
    assert.equal(error.code, code, error.detail);
    assert.equal(error.kind, 'configuration');
    assert.ok(error.detail.includes(`'${scheme}'`), error.detail);
    assert.ok(!JSON.stringify({ detail: error.detail, data: error.data }).includes(SECRET), 'the secret is not in the error');
    return error;
  }
  assert.fail('expected a refusal');
}

describe('a task naming a security scheme (authentication.use)', () => {
  it('sends the task\'s own secret the way each scheme type says', () => {
    const sut = makeSut();
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'bearer', token: 't0ken' })!, target()), [{ kind: 'bearer', token: 't0ken' }]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'bearer', secret: 't0ken' })!, target()), [{ kind: 'bearer', token: 't0ken' }]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'basic', basic: { username: 'ada', password: 'pw12' } })!, target()), [{ kind: 'basic', username: 'ada', password: 'pw12' }]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'key', secret: 'k3y!' })!, target()), [{ kind: 'apikey', key: 'X-API-Key', value: 'k3y!', location: 'header' }]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'queryKey', value: 'k3y!' })!, target()), [{ kind: 'apikey', key: 'api_key', value: 'k3y!', location: 'query' }]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'cookieKey', apikey: { value: 'c00kie' } })!, target()), [{ kind: 'apikey', key: 'session', value: 'c00kie', location: 'cookie' }]);
  });

  it('OAuth2 client credentials use the document\'s token URL and the scopes of the operation\'s requirement', () => {
    const security = { requirements: [[{ scheme: 'client', scopes: ['things:read', 'things:write'] }]] };
    const [auth] = makeSut().forUse(schemeUseOf({ use: 'client', oauth2: { client: { id: 'app', secret: 'cl1ent' } } })!, target(security));
    assert.deepEqual(auth, { kind: 'oauth2', tokenUrl: 'https://api.example.com/oauth/token', clientId: 'app', clientSecret: 'cl1ent', scopes: ['things:read', 'things:write'], audience: undefined, clientAuth: 'client_secret_post' });
  });

  it('sends a task\'s client secret to the document\'s token URL only over https, or to a loopback address', () => {
    const given = schemeUseOf({ use: 'client', oauth2: { client: { id: 'app', secret: SECRET } } })!;
    const withTokenUrl = (tokenUrl: string): SecurityTarget => target({ schemes: { ...SCHEMES, client: { type: 'oauth2', flows: ['clientCredentials'], tokenUrl } } });
    const error = refusal(() => makeSut().forUse(given, withTokenUrl('http://auth.example.com/token?k=1')), 'SECURITY_SCHEME_UNSUPPORTED', 'client');
    assert.equal(error.detail, "security scheme 'client' has the tokenUrl http://auth.example.com/token?k=1, which is not https: the task's client secret is sent only over https (or to a loopback address)");
    for (const ok of ['http://127.0.0.1:8080/token', 'http://localhost/token', 'http://[::1]:9000/token', 'https://auth.example.com/token']) {
      assert.equal(makeSut().forUse(given, withTokenUrl(ok))[0]?.kind, 'oauth2', ok);
    }
  });

  it('outside OpenAPI calls (HTTP, gRPC, GraphQL, AsyncAPI) says that only OpenAPI calls can use a scheme', () => {
    assert.throws(() => parseAuthentication({ use: 'api_key' }), (e: WorkflowError) => e.code === 'AUTHENTICATION_FAILED' && /names a security scheme of an OpenAPI document \('api_key'\): only OpenAPI calls can use one/.test(e.detail));
  });

  it('refuses a scheme the document does not define, naming it and the defined ones', () => {
    const error = refusal(() => makeSut().forUse(schemeUseOf({ use: 'petstore_auht' })!, target()), 'SECURITY_SCHEME_NOT_FOUND', 'petstore_auht');
    assert.match(error.detail, /defined: bearer, basic, key/);
  });

  it('names that are properties of every object are no schemes', () => {
    for (const name of ['constructor', 'toString', '__proto__']) refusal(() => makeSut().forUse(schemeUseOf({ use: name, secret: 'x' })!, target()), 'SECURITY_SCHEME_NOT_FOUND', name);
    const requirements = [[{ scheme: 'constructor', scopes: [] }]];
    assert.match(refusal(() => makeSut([credential({ scheme: 'constructor', value: { kind: 'token', token: SECRET } })]).forOperation(target({ requirements })), 'SECURITY_SCHEME_NOT_FOUND', 'constructor').detail, /does not define/);
  });

  it('refuses scheme types it cannot apply, saying why', () => {
    const sut = makeSut();
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'oidc', token: 'x' })!, target()), 'SECURITY_SCHEME_UNSUPPORTED', 'oidc').detail, /OpenID Connect discovery is not supported/);
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'implicit' })!, target()), 'SECURITY_SCHEME_UNSUPPORTED', 'implicit').detail, /only the clientCredentials flow/);
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'digest', secret: 'x' })!, target()), 'SECURITY_SCHEME_UNSUPPORTED', 'digest').detail, /bearer and basic/);
    refusal(() => sut.forUse(schemeUseOf({ use: 'mtls' })!, target()), 'SECURITY_SCHEME_UNSUPPORTED', 'mtls');
  });

  it('refuses credentials of the wrong kind or half given', () => {
    const sut = makeSut();
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'bearer', basic: { username: 'a', password: 'b' } })!, target()), 'CREDENTIAL_MISSING', 'bearer').detail, /gives basic credentials/);
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'basic', username: 'ada' })!, target()), 'CREDENTIAL_MISSING', 'basic').detail, /a username and a password/);
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'client', client_id: 'app' })!, target()), 'CREDENTIAL_MISSING', 'client').detail, /client_id and a client_secret/);
  });

  it('without a secret in the task, a missing operator credential is a clear configuration error', () => {
    const error = refusal(() => makeSut().forUse(schemeUseOf({ use: 'bearer' })!, target()), 'CREDENTIAL_MISSING', 'bearer');
    assert.match(error.detail, /no credential is configured for security scheme 'bearer'.*CALL_CREDENTIALS_FILE/);
    assert.deepEqual(error.data, { task_type: 'call', security_scheme: 'bearer', operation_id: 'getThing' });
  });

  it('takes the operator credential bound to the document and host', () => {
    const sut = makeSut([credential({ scheme: 'key', value: { kind: 'apiKey', apiKey: SECRET } })]);
    assert.deepEqual(sut.forUse(schemeUseOf({ use: 'key' })!, target()), [{ kind: 'apikey', key: 'X-API-Key', value: SECRET, location: 'header' }]);
  });

  it('says which secret the configured credential holds when it does not fit the scheme', () => {
    const sut = makeSut([credential({ scheme: 'key', value: { kind: 'token', token: SECRET } })]);
    assert.match(refusal(() => sut.forUse(schemeUseOf({ use: 'key' })!, target()), 'CREDENTIAL_MISSING', 'key').detail, /holds a bearer token, but the scheme needs an API key/);
  });
});

describe('where an operator credential may go', () => {
  const bound = credential({ scheme: 'bearer', value: { kind: 'token', token: SECRET } });

  it('an attacker document naming a real scheme gets nothing: the credential is bound to another document', () => {
    const evil = target({}, { documentUrl: 'https://evil.example/openapi.json', url: 'https://evil.example/steal' });
    refusal(() => makeSut([bound]).forUse(schemeUseOf({ use: 'bearer' })!, evil), 'CREDENTIAL_MISSING', 'bearer');
    refusal(() => makeSut([bound]).forOperation({ ...evil, security: { requirements: [[{ scheme: 'bearer', scopes: [] }]], schemes: SCHEMES } }), 'CREDENTIAL_MISSING', 'bearer');
  });

  it('a credential bound to hosts only is never sent to a server another document names', () => {
    const hostsOnly = { ...bound, documents: [] };
    const evil = target({}, { documentUrl: 'https://evil.example/openapi.json', url: 'https://evil.example/steal' });
    const error = refusal(() => makeSut([hostsOnly]).forUse(schemeUseOf({ use: 'bearer' })!, evil), 'CREDENTIAL_NOT_BOUND', 'bearer');
    assert.match(error.detail, /not bound to host evil\.example/);
    // The same document pointing its server at the real host is fine: the secret goes only there.
    assert.deepEqual(makeSut([hostsOnly]).forUse(schemeUseOf({ use: 'bearer' })!, target({}, { documentUrl: 'https://evil.example/openapi.json' })), [{ kind: 'bearer', token: SECRET }]);
  });

  it('the bound document cannot send it elsewhere either: its servers are checked against the hosts', () => {
    const error = refusal(() => makeSut([bound]).forUse(schemeUseOf({ use: 'bearer' })!, target({}, { url: 'https://api.example.com.evil.example/x' })), 'CREDENTIAL_NOT_BOUND', 'bearer');
    assert.match(error.detail, /api\.example\.com\.evil\.example/);
  });

  it('an OAuth2 token URL from the document must be on a bound host too', () => {
    const client = credential({ scheme: 'client', value: { kind: 'client', clientId: 'app', clientSecret: SECRET, clientAuth: 'client_secret_post', audience: undefined } });
    const schemes = { ...SCHEMES, client: { type: 'oauth2', flows: ['clientCredentials'], tokenUrl: 'https://evil.example/token' } };
    const error = refusal(() => makeSut([client]).forUse(schemeUseOf({ use: 'client' })!, target({ schemes })), 'CREDENTIAL_NOT_BOUND', 'client');
    assert.match(error.detail, /token URL is refused: the credential is not bound to host evil\.example/);
  });

  it('https only unless the operator allows http; ports are exact', () => {
    const http = target({}, { url: 'http://api.example.com/v1/things/1' });
    assert.match(refusal(() => makeSut([bound]).forUse(schemeUseOf({ use: 'bearer' })!, http), 'CREDENTIAL_NOT_BOUND', 'bearer').detail, /https only/);
    assert.equal(makeSut([{ ...bound, allowHttp: true }]).forUse(schemeUseOf({ use: 'bearer' })!, http).length, 1);
    const otherPort = target({}, { url: 'https://api.example.com:8443/v1' });
    refusal(() => makeSut([bound]).forUse(schemeUseOf({ use: 'bearer' })!, otherPort), 'CREDENTIAL_NOT_BOUND', 'bearer');
    assert.equal(makeSut([{ ...bound, hosts: [parseHostBinding('API.example.com:8443')!] }]).forUse(schemeUseOf({ use: 'bearer' })!, otherPort).length, 1);
  });

  it('a credential bound to hosts only goes only the way it is pinned: a look-alike document cannot move an API key or a client secret', () => {
    const key = credential({ scheme: 'key', documents: [], pin: { in: 'header', name: 'x-api-key' }, value: { kind: 'apiKey', apiKey: SECRET } });
    const evilDoc = { documentUrl: 'https://evil.example/openapi.json' };
    // Header names compare case-insensitively.
    assert.equal(makeSut([key]).forUse(schemeUseOf({ use: 'key' })!, target({}, evilDoc)).length, 1);
    const asQuery = { ...SCHEMES, key: { type: 'apiKey', name: 'comment', in: 'query' } };
    const moved = refusal(() => makeSut([key]).forUse(schemeUseOf({ use: 'key' })!, target({ schemes: asQuery }, evilDoc)), 'CREDENTIAL_NOT_BOUND', 'key');
    assert.match(moved.detail, /the document sends it in the query, the credential is pinned to the header/);
    const renamed = { ...SCHEMES, key: { type: 'apiKey', name: 'X-Comment', in: 'header' } };
    assert.match(refusal(() => makeSut([key]).forUse(schemeUseOf({ use: 'key' })!, target({ schemes: renamed }, evilDoc)), 'CREDENTIAL_NOT_BOUND', 'key').detail, /names it "X-Comment", the credential is pinned to "x-api-key"/);
    const client = credential({ scheme: 'client', documents: [], pin: { tokenUrl: 'https://api.example.com/oauth/token' }, value: { kind: 'client', clientId: 'app', clientSecret: SECRET, clientAuth: 'client_secret_post', audience: undefined } });
    assert.equal(makeSut([client]).forUse(schemeUseOf({ use: 'client' })!, target({}, evilDoc)).length, 1);
    const otherPath = { ...SCHEMES, client: { type: 'oauth2', flows: ['clientCredentials'], tokenUrl: 'https://api.example.com/public/comments' } };
    assert.match(refusal(() => makeSut([client]).forUse(schemeUseOf({ use: 'client' })!, target({ schemes: otherPath }, evilDoc)), 'CREDENTIAL_NOT_BOUND', 'client').detail, /token URL is not the one the credential is pinned to/);
  });

  it('a credential for some tenants is not there for the others', () => {
    const acmeOnly = { ...bound, tenants: ['acme'] };
    assert.equal(makeSut([acmeOnly]).forUse(schemeUseOf({ use: 'bearer' })!, target()).length, 1);
    refusal(() => makeSut([acmeOnly]).forUse(schemeUseOf({ use: 'bearer' })!, target({}, { tenant: 'globex' })), 'CREDENTIAL_MISSING', 'bearer');
  });

  it('the first credential that fits and is bound wins', () => {
    const elsewhere = { ...bound, hosts: [{ hostname: 'other.example', port: undefined }], value: { kind: 'token' as const, token: 'elsewhere-token' } };
    assert.deepEqual(makeSut([elsewhere, bound]).forUse(schemeUseOf({ use: 'bearer' })!, target()), [{ kind: 'bearer', token: SECRET }]);
  });

  it('host entries: names, IPs, IPv6 and ports; no schemes, paths or wildcards', () => {
    assert.deepEqual(parseHostBinding('127.0.0.1:4010'), { hostname: '127.0.0.1', port: 4010 });
    assert.deepEqual(parseHostBinding('[::1]:8080'), { hostname: '[::1]', port: 8080 });
    for (const bad of ['https://api.example.com', 'api.example.com/v1', '*.example.com', 'api.example.com:0', 'api.example.com:70000', '']) assert.equal(parseHostBinding(bad), undefined, bad);
  });
});

describe('a task without authentication: the operation\'s security requirement', () => {
  const token = credential({ scheme: 'bearer', value: { kind: 'token', token: SECRET } });
  const key = credential({ scheme: 'key', value: { kind: 'apiKey', apiKey: 'k3y-value' } });

  it('is not applied when the operator configured no credential at all (calls go out as written)', () => {
    assert.deepEqual(makeSut().forOperation(target({ requirements: [[{ scheme: 'bearer', scopes: [] }]] })), []);
  });

  it('CALL_SECURITY_REQUIREMENTS: `enforce` applies them without any credential (a clear error), `off` never', () => {
    const requirements = [[{ scheme: 'bearer', scopes: [] }]];
    refusal(() => new DocumentSecurity([], 'enforce').forOperation(target({ requirements })), 'CREDENTIAL_MISSING', 'bearer');
    assert.deepEqual(new DocumentSecurity([token], 'off').forOperation(target({ requirements })), []);
    assert.deepEqual(new DocumentSecurity([token], 'enforce').forOperation(target({ requirements })), [{ kind: 'bearer', token: SECRET }]);
    // A task naming a scheme is served whatever the mode.
    assert.deepEqual(new DocumentSecurity([token], 'off').forUse(schemeUseOf({ use: 'bearer' })!, target()), [{ kind: 'bearer', token: SECRET }]);
  });

  it('takes the first alternative the credentials satisfy, and every scheme of it', () => {
    const requirements = [[{ scheme: 'basic', scopes: [] }], [{ scheme: 'bearer', scopes: [] }, { scheme: 'key', scopes: [] }], [{ scheme: 'bearer', scopes: [] }]];
    assert.deepEqual(makeSut([token, key]).forOperation(target({ requirements })), [
      { kind: 'bearer', token: SECRET },
      { kind: 'apikey', key: 'X-API-Key', value: 'k3y-value', location: 'header' },
    ]);
    assert.deepEqual(makeSut([token]).forOperation(target({ requirements })), [{ kind: 'bearer', token: SECRET }]);
  });

  it('an empty alternative allows the call without credentials; no requirement asks for nothing', () => {
    assert.deepEqual(makeSut([token]).forOperation(target({ requirements: [[{ scheme: 'basic', scopes: [] }], []] })), []);
    assert.deepEqual(makeSut([token]).forOperation(target({ requirements: [] })), []);
  });

  it('requests the scopes the requirement lists for an OAuth2 scheme', () => {
    const client = credential({ scheme: 'client', value: { kind: 'client', clientId: 'app', clientSecret: SECRET, clientAuth: 'client_secret_basic', audience: 'things' } });
    const [auth] = makeSut([client]).forOperation(target({ requirements: [[{ scheme: 'client', scopes: ['things:read'] }]] }));
    assert.deepEqual(auth, { kind: 'oauth2', tokenUrl: 'https://api.example.com/oauth/token', clientId: 'app', clientSecret: SECRET, scopes: ['things:read'], audience: 'things', clientAuth: 'client_secret_basic' });
  });

  it('when no alternative can be met, the error gives the reason of each, never a secret', () => {
    const requirements = [[{ scheme: 'basic', scopes: [] }], [{ scheme: 'oidc', scopes: [] }], [{ scheme: 'ghost', scopes: [] }]];
    const error = refusal(() => makeSut([token]).forOperation(target({ requirements })), 'CREDENTIAL_MISSING', 'basic');
    assert.match(error.detail, /^no security requirement of operation 'getThing' can be met: no credential is configured for security scheme 'basic'.*; or security scheme 'oidc' is openIdConnect.*; or the operation's security requirement names 'ghost', which the document does not define$/);
    assert.deepEqual(error.data?.['security_schemes'], ['basic', 'oidc', 'ghost']);
  });

  it('one unmet alternative is reported as it is', () => {
    const error = refusal(() => makeSut([token]).forOperation(target({ requirements: [[{ scheme: 'key', scopes: [] }]] })), 'CREDENTIAL_MISSING', 'key');
    assert.match(error.detail, /^no credential is configured for security scheme 'key'/);
  });
});

describe('OAuth2 tokens fetched with an operator\'s client', () => {
  it('are never handed to a task that knows the client id and token URL but not the secret', async () => {
    const sent: HttpRequest[] = [];
    const http: HttpClient = {
      send(request: HttpRequest): Promise<HttpResponse> {
        sent.push(request);
        const ok = typeof request.body === 'string' && request.body.includes(`client_secret=${SECRET}`);
        const body = new TextEncoder().encode(JSON.stringify(ok ? { access_token: 'operator-token', expires_in: 600 } : { error: 'invalid_client' }));
        return Promise.resolve({ status: ok ? 200 : 401, headers: {}, body, url: request.url });
      },
      close: () => Promise.resolve(),
    };
    const cache = new OAuth2TokenCache(http, new FakeClock());
    const client = (clientSecret: string): Extract<Authentication, { kind: 'oauth2' }> => ({ kind: 'oauth2', tokenUrl: 'https://api.example.com/oauth/token', clientId: 'app', clientSecret, scopes: ['read'], audience: undefined, clientAuth: 'client_secret_post' });
    assert.equal(await cache.token(client(SECRET), 1000), 'operator-token');
    await assert.rejects(cache.token(client('guessed-secret'), 1000), (e: WorkflowError) => e.code === 'AUTHENTICATION_FAILED');
    assert.equal(sent.length, 2, 'the wrong secret went to the token endpoint instead of getting the cached token');
  });
});
