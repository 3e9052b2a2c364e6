import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedTypes, DereferencedOpenApiDocument } from '../../../src/adapters/openapi/openapi-document';
import { normalizeDocument } from '../../../src/adapters/openapi/document-parsing';
import { JsonObject } from '../../../src/domain/json';
import { WorkflowError } from '../../../src/domain/workflow-error';

function documentWith(operation: JsonObject): DereferencedOpenApiDocument {
  return new DereferencedOpenApiDocument({ openapi: '3.0.3', paths: { '/u': { post: { operationId: 'up', responses: { '200': { description: 'ok' } }, ...operation } } } }, 'https://d.test/o.json');
}

const PHOTO_FORM = {
  requestBody: {
    content: {
      'multipart/form-data': {
        schema: { type: 'object', properties: { caption: { type: 'string' }, photo: { type: 'string', format: 'binary' }, extras: { type: 'array', items: { type: 'string', format: 'binary' } }, meta: { type: 'object' } } },
        encoding: { photo: { contentType: 'image/png, image/jpeg' } },
      },
    },
  },
};

describe('OpenAPI request content', () => {
  it('turns a multipart body into parts by its schema: format binary properties are files, encoding sets their type', () => {
    const prepared = documentWith(PHOTO_FORM).prepare('up', { body: { caption: 'Rex', photo: { base64: 'aGk=' }, extras: [{ base64: 'YQ==' }, { base64: 'Yg==' }], meta: { a: 1 }, gone: null } });
    assert.equal(prepared.body, undefined);
    assert.equal(prepared.headers['Content-Type'], undefined, 'the boundary is chosen when the body is encoded');
    assert.deepEqual(prepared.content, {
      kind: 'multipart',
      parts: [
        { name: 'caption', value: 'Rex', file: false },
        { name: 'photo', value: { base64: 'aGk=' }, file: true, contentType: 'image/png' },
        { name: 'extras', value: { base64: 'YQ==' }, file: true },
        { name: 'extras', value: { base64: 'Yg==' }, file: true },
        { name: 'meta', value: { a: 1 }, file: false },
      ],
    });
  });

  it('takes {fields, files} for multipart too, and a file value under any property name', () => {
    const explicit = documentWith(PHOTO_FORM).prepare('up', { body: { fields: { caption: 'x' }, files: [{ name: 'photo', url: 'https://f.test/p.png' }] } });
    assert.deepEqual(explicit.content, { kind: 'multipart', parts: [{ name: 'caption', value: 'x', file: false }, { name: 'photo', value: { url: 'https://f.test/p.png' }, file: true }] });
    const undeclared = documentWith({ requestBody: { content: { 'multipart/form-data': {} } } }).prepare('up', { body: { doc: { base64: 'aGk=', filename: 'a.txt' } } });
    assert.deepEqual(undeclared.content, { kind: 'multipart', parts: [{ name: 'doc', value: { base64: 'aGk=', filename: 'a.txt' }, file: true }] });
  });

  it('sends a form with a file as multipart where both form encodings are declared, and one without as urlencoded', () => {
    const both = documentWith({ requestBody: { content: { 'application/x-www-form-urlencoded': {}, 'multipart/form-data': { schema: { properties: { photo: { type: 'string', format: 'binary' } } } } } } });
    assert.equal(both.prepare('up', { body: { name: 'Rex' } }).body, 'name=Rex');
    assert.equal(both.prepare('up', { body: { name: 'Rex', photo: { base64: 'aGk=' } } }).content?.kind, 'multipart');
  });

  it('takes Swagger 2.0 formData parameters of type file as top-level parameters', async () => {
    const swagger = await normalizeDocument({ swagger: '2.0', info: { title: 'x', version: '1' }, host: 'a.test', paths: { '/u': { post: { operationId: 'up', consumes: ['multipart/form-data'], parameters: [{ name: 'file', in: 'formData', type: 'file' }, { name: 'note', in: 'formData', type: 'string' }], responses: { 200: { description: 'ok' } } } } } });
    const prepared = new DereferencedOpenApiDocument(swagger, 'https://a.test/swagger.json').prepare('up', { file: { base64: 'aGk=' }, note: 'n' });
    assert.deepEqual(prepared.content, { kind: 'multipart', parts: [{ name: 'file', value: { base64: 'aGk=' }, file: true }, { name: 'note', value: 'n', file: false }] });
  });

  it('takes a file (or a string) for any other media type, the wildcard as application/octet-stream', () => {
    const octets = documentWith({ requestBody: { content: { 'application/octet-stream': {} } } });
    assert.deepEqual(octets.prepare('up', { body: { url: 'https://f.test/a.bin' } }).content, { kind: 'binary', contentType: 'application/octet-stream', value: { url: 'https://f.test/a.bin' } });
    assert.deepEqual(octets.prepare('up', { body: 'raw text' }).content, { kind: 'binary', contentType: 'application/octet-stream', value: 'raw text' });
    const images = documentWith({ requestBody: { content: { 'image/*': {} } } });
    assert.deepEqual(images.prepare('up', { body: { base64: 'aGk=' } }).content, { kind: 'binary', contentType: 'application/octet-stream', value: { base64: 'aGk=' } });
    assert.throws(() => octets.prepare('up', { body: { not: 'a file' } }), (e: WorkflowError) => e.kind === 'configuration' && /given a file/.test(e.detail));
    // Text media types still take a string as text.
    assert.equal(documentWith({ requestBody: { content: { 'text/plain': {} } } }).prepare('up', { body: 'hello' }).body, 'hello');
  });

  it('asks for the success responses’ media types in Accept, JSON first, unless a header parameter sets it', () => {
    assert.equal(acceptedTypes({ responses: { '200': { content: { 'application/xml': {}, 'application/json': {} } }, '201': { content: { 'image/png': {}, 'application/problem+json': {} } }, '404': { content: { 'text/plain': {} } } } }), 'application/json, application/problem+json, application/xml, image/png');
    assert.equal(acceptedTypes({ responses: { '2XX': { content: { 'text/csv': {} } } } }), 'text/csv');
    assert.equal(acceptedTypes({ responses: { default: { content: { 'application/json': {} } } } }), 'application/json');
    assert.equal(acceptedTypes({ responses: { '204': { description: 'none' } } }), undefined);
    const withAccept = new DereferencedOpenApiDocument({ openapi: '3.0.3', paths: { '/u': { get: { operationId: 'get', parameters: [{ name: 'accept', in: 'header', schema: { type: 'string' } }], responses: { '200': { content: { 'application/json': {} } } } } } } }, 'https://d.test/o.json');
    assert.equal(withAccept.prepare('get', {}).headers['Accept'], 'application/json');
    assert.deepEqual(withAccept.prepare('get', { accept: 'text/html' }).headers, { accept: 'text/html' });
  });
});
