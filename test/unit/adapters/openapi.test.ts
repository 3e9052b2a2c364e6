import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeYaml, normalizeDocument, parseDocumentText } from '../../../src/adapters/openapi/document-parsing';
import { DereferencedOpenApiDocument } from '../../../src/adapters/openapi/openapi-document';
import { serializePath, serializeQuery } from '../../../src/adapters/openapi/parameter-style';
import { WorkflowError } from '../../../src/domain/workflow-error';

describe('document format detection (Go rules)', () => {
  it('uses the content type, then the first character, then line shapes', () => {
    assert.equal(looksLikeYaml('{"openapi": "3.0.0"}', 'application/yaml'), true);
    assert.equal(looksLikeYaml('  {"openapi": "3.0.0"}', 'text/plain'), false);
    assert.equal(looksLikeYaml('# comment\nopenapi: 3.1.0\n', 'text/plain'), true);
    assert.deepEqual(parseDocumentText('swagger: "2.0"\npaths: {}', ''), { swagger: '2.0', paths: {} });
  });
  it('rejects documents without a version or paths, with Go texts', async () => {
    await assert.rejects(normalizeDocument({ paths: { '/a': {} } }), (e: WorkflowError) => e.detail === 'missing version field');
    await assert.rejects(normalizeDocument({ openapi: '3.0.3', paths: {} }), (e: WorkflowError) => e.detail === 'document contains no paths');
  });
});

describe('parameter serialization', () => {
  it('percent-encodes path values', () => {
    assert.equal(serializePath({ name: 'id', in: 'path' }, 'a/b c'), 'a%2Fb%20c');
    assert.equal(serializePath({ name: 'id', in: 'path', style: 'matrix', explode: true }, [1, 2]), ';id=1;id=2');
  });
  it('serializes query arrays exploded and not', () => {
    assert.deepEqual(serializeQuery({ name: 'ids', in: 'query' }, [1, 2]), ['ids=1', 'ids=2']);
    assert.deepEqual(serializeQuery({ name: 'ids', in: 'query', explode: false }, [1, 2]), ['ids=1,2']);
    assert.deepEqual(serializeQuery({ name: 'ids', in: 'query', style: 'spaceDelimited', explode: false }, [1, 2]), ['ids=1%202']);
    assert.deepEqual(serializeQuery({ name: 'f', in: 'query', style: 'deepObject', explode: true }, { a: 1 }), ['f%5Ba%5D=1']);
  });
});

describe('servers and operations', () => {
  const doc = (servers: unknown): DereferencedOpenApiDocument =>
    new DereferencedOpenApiDocument({ openapi: '3.0.3', servers, paths: { '/p': { get: { operationId: 'op' } } } }, 'https://docs.test/specs/api.json');
  it('applies server variable defaults and resolves relative servers against the document URL', () => {
    assert.equal(doc([{ url: 'https://{env}.api.test/v1/', variables: { env: { default: 'prod' } } }]).prepare('op', {}).url, 'https://prod.api.test/v1/p');
    assert.equal(doc([{ url: '../v2' }]).prepare('op', {}).url, 'https://docs.test/v2/p');
    assert.equal(doc(undefined).prepare('op', {}).url, 'https://docs.test/p');
  });
  it('lists the existing operations when one is missing', () => {
    assert.throws(() => doc(undefined).prepare('nope', {}), (e: WorkflowError) => e.code === 'OPERATION_NOT_FOUND' && e.detail === "operation with id 'nope' not found (available: op)");
  });
  it('refuses a multipart body that is not an object with a clear configuration error', () => {
    const d = new DereferencedOpenApiDocument({ openapi: '3.0.3', paths: { '/u': { post: { operationId: 'up', requestBody: { content: { 'multipart/form-data': {} } } } } } }, 'https://d.test/o.json');
    assert.throws(() => d.prepare('up', { body: 'x' }), (e: WorkflowError) => e.kind === 'configuration' && /multipart\/form-data \(an object\)/.test(e.detail));
  });
});
