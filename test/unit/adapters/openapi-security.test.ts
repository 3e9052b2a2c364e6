/**
 * What a document says about security, as calls and pre-flight checks read it: the operation's
 * requirement (or the document's), the schemes, OAuth2 token URLs made absolute, Swagger 2.0
 * converted, and a bound on what an untrusted document can make every call carry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeDocument } from '../../../src/adapters/openapi/document-parsing';
import { DereferencedOpenApiDocument } from '../../../src/adapters/openapi/openapi-document';
import { JsonObject } from '../../../src/domain/json';
import { WorkflowError } from '../../../src/domain/workflow-error';

async function documentOf(raw: JsonObject, url = 'https://docs.example.com/specs/api.json'): Promise<DereferencedOpenApiDocument> {
  return new DereferencedOpenApiDocument(await normalizeDocument(raw), url);
}

const ok = { responses: { '200': { description: 'ok' } } };

describe('the security of an operation', () => {
  it('is the operation\'s own requirement, else the document\'s; `security: []` asks for nothing', async () => {
    const doc = await documentOf({
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      servers: [{ url: 'https://api.example.com/v1' }],
      security: [{ key: [] }],
      components: {
        securitySchemes: {
          key: { type: 'apiKey', in: 'header', name: 'X-Key' },
          alias: { $ref: '#/components/securitySchemes/key' },
          bearer: { type: 'http', scheme: 'Bearer', bearerFormat: 'JWT' },
          client: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { read: 'r' } }, implicit: { authorizationUrl: 'https://x', scopes: {} } } },
          oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://login.example.com/.well-known/openid-configuration' },
        },
      },
      paths: {
        '/global': { get: { operationId: 'global', ...ok } },
        '/own': { get: { operationId: 'own', security: [{ client: ['read', 'write'] }, { bearer: [], key: [] }, {}], ...ok } },
        '/none': { get: { operationId: 'none', security: [], ...ok } },
      },
    });
    const global = doc.security('global');
    assert.deepEqual(global.requirements, [[{ scheme: 'key', scopes: [] }]]);
    assert.equal(global.server, 'https://api.example.com/v1');
    assert.deepEqual(global.schemes, {
      key: { type: 'apiKey', name: 'X-Key', in: 'header' },
      alias: { type: 'apiKey', name: 'X-Key', in: 'header' },
      bearer: { type: 'http', scheme: 'bearer' },
      // A relative token URL resolves against the operation's server.
      client: { type: 'oauth2', flows: ['clientCredentials', 'implicit'], tokenUrl: 'https://api.example.com/oauth/token' },
      oidc: { type: 'openIdConnect' },
    });
    assert.deepEqual(doc.security('own').requirements, [[{ scheme: 'client', scopes: ['read', 'write'] }], [{ scheme: 'bearer', scopes: [] }, { scheme: 'key', scopes: [] }], []]);
    assert.deepEqual(doc.security('none').requirements, []);
    // A prepared request carries the requirement and the schemes it names (no second trip to the
    // document), and nothing when the operation asks for nothing: it crosses threads on every call.
    const all = doc.security('own').schemes;
    assert.deepEqual(doc.prepare('own', {}).security, { requirements: doc.security('own').requirements, schemes: { client: all['client'], bearer: all['bearer'], key: all['key'] }, server: 'https://api.example.com/v1' });
    assert.deepEqual(doc.prepare('global', {}).security?.schemes, { key: all['key'] });
    assert.equal(doc.prepare('none', {}).security, undefined);
    assert.throws(() => doc.security('nope'), (e: WorkflowError) => e.code === 'OPERATION_NOT_FOUND');
  });

  it('Swagger 2.0: security definitions become schemes, an OAuth2 application flow client credentials', async () => {
    const doc = await documentOf({
      swagger: '2.0',
      info: { title: 't', version: '1' },
      host: 'api.example.com',
      basePath: '/v1',
      schemes: ['https'],
      securityDefinitions: { app: { type: 'oauth2', flow: 'application', tokenUrl: 'https://login.example.com/token', scopes: { read: 'r' } } },
      security: [{ app: ['read'] }],
      paths: { '/a': { get: { operationId: 'a', ...ok } } },
    });
    assert.deepEqual(doc.security('a'), {
      requirements: [[{ scheme: 'app', scopes: ['read'] }]],
      schemes: { app: { type: 'oauth2', flows: ['clientCredentials'], tokenUrl: 'https://login.example.com/token' } },
      server: 'https://api.example.com/v1',
    });
  });

  it('a scheme called __proto__ is a scheme like any other', async () => {
    const doc = await documentOf(JSON.parse('{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "security": [{"__proto__": []}], "components": {"securitySchemes": {"__proto__": {"type": "http", "scheme": "bearer"}}}, "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}') as JsonObject);
    const security = doc.security('a');
    assert.deepEqual(Object.keys(security.schemes), ['__proto__']);
    assert.equal(Object.getPrototypeOf(security.schemes), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(security.schemes, '__proto__')?.value, { type: 'http', scheme: 'bearer' });
  });

  it('a document with more schemes than any API declares is refused when they are asked for, with the count', async () => {
    const securitySchemes: JsonObject = {};
    for (let i = 0; i < 257; i++) securitySchemes[`s${i}`] = { type: 'http', scheme: 'bearer' };
    const doc = await documentOf({ openapi: '3.0.3', info: { title: 't', version: '1' }, components: { securitySchemes }, paths: { '/a': { get: { operationId: 'a', ...ok } } } });
    assert.throws(() => doc.security('a'), (e: WorkflowError) => e.kind === 'configuration' && e.detail === 'the document declares 257 security schemes; at most 256 are supported');
    // Its operations are still called; only naming a scheme or checking it needs them all.
    assert.equal(doc.prepare('a', {}).url, 'https://docs.example.com/a');
  });
});
