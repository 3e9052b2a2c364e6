import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeDocument } from '../../../src/adapters/openapi/document-parsing';
import { DereferencedOpenApiDocument } from '../../../src/adapters/openapi/openapi-document';
import { toJsonSchema } from '../../../src/adapters/openapi/schema-conversion';
import { JsonObject } from '../../../src/domain/json';
import { WorkflowError } from '../../../src/domain/workflow-error';

const pet = {
  type: 'object',
  required: ['id', 'name'],
  properties: {
    id: { type: 'integer', format: 'int64', readOnly: true },
    name: { type: 'string', minLength: 1 },
    tag: { type: 'string', nullable: true },
    email: { type: 'string', format: 'email' },
    code: { type: 'string', pattern: '^[a-z]+$' },
    status: { type: 'string', enum: ['available', 'sold'], nullable: true },
    weight: { type: 'number', minimum: 0, exclusiveMinimum: true },
  },
};

function doc30(extra: JsonObject = {}): DereferencedOpenApiDocument {
  return new DereferencedOpenApiDocument(
    {
      openapi: '3.0.3',
      servers: [{ url: 'https://api.test' }],
      paths: {
        '/pets/{petId}': {
          parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer', format: 'int32' } }],
          put: {
            operationId: 'updatePet',
            parameters: [
              { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } },
              { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string', format: 'uuid' } },
            ],
            requestBody: { required: true, content: { 'application/json': { schema: pet } } },
            responses: {
              '200': { description: 'The pet', content: { 'application/json': { schema: pet } } },
              '4XX': { description: 'Bad pet' },
              default: { description: 'Unexpected error' },
            },
          },
        },
      },
      ...extra,
    },
    'https://api.test/openapi.json',
  );
}

const goodRequest = { petId: 7, 'X-Trace': '0b5e2a5c-3f4b-4d2e-9a43-6f7d0f3f2b11', body: { name: 'Rex', tag: null, status: null, weight: 1 } };

describe('request validation (OpenAPI 3.0)', () => {
  it('passes a conforming request; readOnly properties are not required in requests; nullable allows null', () => {
    assert.deepEqual(doc30().validateRequest('updatePet', goodRequest), []);
  });
  it('takes parameters as the text they travel as', () => {
    assert.deepEqual(doc30().validateRequest('updatePet', { ...goodRequest, petId: '7', limit: '10' }), []);
    assert.deepEqual(
      doc30().validateRequest('updatePet', { ...goodRequest, petId: 'seven', limit: 1000 }).map((i) => `${i.pointer} ${i.rule}`),
      ['/path/petId type', '/query/limit maximum'],
    );
  });
  it('names the place by JSON pointer and the rule, never the value', () => {
    const secret = 'hunter2-SECRET-value';
    const issues = doc30().validateRequest('updatePet', { ...goodRequest, 'X-Trace': secret, body: { name: 42, email: secret, code: `${secret}!`, weight: 0, extra: secret } });
    const lines = issues.map((i) => `${i.pointer}: ${i.message} (${i.rule})`);
    assert.deepEqual(lines, [
      '/header/X-Trace: must match format "uuid" (format)',
      '/body/name: must be string (type)',
      '/body/email: must match format "email" (format)',
      '/body/code: must match pattern "^[a-z]+$" (pattern)',
      '/body/weight: must be > 0 (exclusiveMinimum)',
    ]);
    assert.ok(!JSON.stringify(issues).includes('hunter2'));
  });
  it('reports missing required parameters and body, and nullable without nullable', () => {
    const issues = doc30().validateRequest('updatePet', { body: { name: 'a', email: null } });
    assert.deepEqual(
      issues.map((i) => `${i.pointer}: ${i.message} (${i.rule})`),
      ['/path/petId: is required (required)', '/header/X-Trace: is required (required)', '/body/email: must be string (type)'],
    );
    assert.deepEqual(doc30().validateRequest('updatePet', { ...goodRequest, body: undefined }), [{ pointer: '/body', rule: 'required', message: 'is required' }]);
  });
  it('adds null to a nullable enum', () => {
    assert.deepEqual(toJsonSchema({ type: 'string', enum: ['a'], nullable: true }, 'openapi-3.0', 'request'), { type: ['string', 'null'], enum: ['a', null] });
  });
  it('prepares in the same step only a request without issues', () => {
    const refused = doc30().prepareValidated('updatePet', { ...goodRequest, petId: 'x' });
    assert.deepEqual(refused, { issues: [{ pointer: '/path/petId', rule: 'type', message: 'must be integer' }] });
    const accepted = doc30().prepareValidated('updatePet', goodRequest);
    assert.deepEqual(accepted.issues, []);
    assert.equal(accepted.prepared?.url, 'https://api.test/pets/7');
  });
  it('throws OPERATION_NOT_FOUND for an unknown operation', () => {
    assert.throws(() => doc30().validateRequest('nope', {}), (e: WorkflowError) => e.code === 'OPERATION_NOT_FOUND');
  });
  it('compiles each schema once, on first use', () => {
    const document = doc30();
    document.validateRequest('updatePet', goodRequest);
    document.validateRequest('updatePet', { ...goodRequest, petId: 'x' });
    const validator = (document as unknown as { validator: { size: number } }).validator;
    assert.equal(validator.size, 2);
  });
});

describe('response validation', () => {
  it('checks the body of a declared JSON response; writeOnly is not required in responses, readOnly is', () => {
    const document = doc30();
    assert.deepEqual(document.validateResponse('updatePet', { status: 200, contentType: 'application/json; charset=utf-8', body: { id: 1, name: 'Rex' } }), []);
    assert.deepEqual(
      document.validateResponse('updatePet', { status: 200, contentType: 'application/json', body: { name: 3 } }).map((i) => `${i.pointer}: ${i.message} (${i.rule})`),
      ['/body/id: is required (required)', '/body/name: must be string (type)'],
    );
  });
  it('reports undeclared content types; ranges and default answer for their statuses', () => {
    const document = doc30();
    assert.deepEqual(document.validateResponse('updatePet', { status: 200, contentType: 'text/html', body: '<p>' }), [
      { pointer: '/header/Content-Type', rule: 'content-type', message: 'must be one of application/json for status 200' },
    ]);
    assert.deepEqual(document.validateResponse('updatePet', { status: 404, contentType: 'text/html', body: '' }), []);
    assert.deepEqual(document.validateResponse('updatePet', { status: 503, contentType: 'text/html', body: '' }), []);
  });
  it('reports a status the operation does not declare', () => {
    const document = new DereferencedOpenApiDocument({ openapi: '3.0.3', paths: { '/a': { get: { operationId: 'a', responses: { '200': { description: 'ok' } } } } } }, 'https://x.test/');
    assert.deepEqual(document.validateResponse('a', { status: 201, contentType: '', body: null }), [{ pointer: '/status', rule: 'status', message: 'status 201 is not declared by the operation' }]);
  });
  it('gives the response descriptions with the prepared request', () => {
    assert.deepEqual(doc30().prepare('updatePet', goodRequest).responseDescriptions, { '200': 'The pet', '4XX': 'Bad pet', default: 'Unexpected error' });
  });
});

describe('OpenAPI 3.1 (JSON Schema 2020-12)', () => {
  const doc31 = (schema: JsonObject): DereferencedOpenApiDocument =>
    new DereferencedOpenApiDocument({ openapi: '3.1.0', paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema } } } } } } }, 'https://x.test/');
  it('takes type arrays, prefixItems and numeric exclusive bounds', () => {
    const document = doc31({ type: 'object', properties: { v: { type: ['string', 'null'] }, t: { type: 'array', prefixItems: [{ type: 'integer' }], items: false }, n: { type: 'number', exclusiveMaximum: 5 } } });
    assert.deepEqual(document.validateRequest('a', { body: { v: null, t: [1], n: 4 } }), []);
    assert.deepEqual(
      document.validateRequest('a', { body: { v: 1, t: [1, 2], n: 5 } }).map((i) => `${i.pointer} ${i.rule}`),
      ['/body/v type', '/body/t items', '/body/n exclusiveMaximum'],
    );
  });
});

describe('recursive and shared schemas', () => {
  it('validates a recursive schema from a dereferenced document', async () => {
    const raw: JsonObject = {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: { '/n': { post: { operationId: 'n', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } }, responses: { '200': { description: 'ok' } } } } },
      components: { schemas: { Node: { type: 'object', required: ['v'], properties: { v: { type: 'integer' }, next: { $ref: '#/components/schemas/Node' }, also: { $ref: '#/components/schemas/Node' } } } } },
    };
    const document = new DereferencedOpenApiDocument(await normalizeDocument(raw), 'https://x.test/');
    assert.deepEqual(document.validateRequest('n', { body: { v: 1, next: { v: 2, next: { v: 3 } } } }), []);
    assert.deepEqual(
      document.validateRequest('n', { body: { v: 1, next: { v: 2, next: { v: 'x' }, also: {} } } }).map((i) => i.pointer),
      ['/body/next/next/v', '/body/next/also/v'],
    );
  });
});

describe('catastrophic patterns', () => {
  it('runs patterns on RE2: an exponential pattern for backtracking takes linear time', () => {
    const document = new DereferencedOpenApiDocument(
      { openapi: '3.0.3', paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema: { type: 'string', pattern: '^(a+)+$' } } } } } } } },
      'https://x.test/',
    );
    // With JavaScript's engine this takes longer than the age of the universe; RE2 answers at once.
    const issues = document.validateRequest('a', { body: `${'a'.repeat(5000)}!` });
    assert.deepEqual(issues.map((i) => i.rule), ['pattern']);
  });
  it('keeps each pattern its own: two properties with different patterns are checked each against its own', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', pattern: '^a$' }, b: { type: 'string', pattern: '^b$' } } };
    const document = new DereferencedOpenApiDocument(
      { openapi: '3.0.3', paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema } } } } } } },
      'https://x.test/',
    );
    assert.deepEqual(document.validateRequest('a', { body: { a: 'a', b: 'b' } }), []);
    assert.deepEqual(document.validateRequest('a', { body: { a: 'b', b: 'a' } }).map((i) => i.pointer), ['/body/a', '/body/b']);
  });
  it('does not enforce a pattern RE2 cannot compile (lookaround) rather than fail every call', () => {
    const document = new DereferencedOpenApiDocument(
      { openapi: '3.0.3', paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema: { type: 'string', pattern: '^(?!x)' } } } } } } } },
      'https://x.test/',
    );
    assert.deepEqual(document.validateRequest('a', { body: 'xyz' }), []);
  });
});
