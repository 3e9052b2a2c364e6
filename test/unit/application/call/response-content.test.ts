import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentClass, decodeContent, decodeText, mediaTypeOf } from '../../../../src/application/handlers/call/response-content';
import { HttpResponse } from '../../../../src/application/ports/http-client.port';

function response(body: Uint8Array | string, contentType?: string): HttpResponse {
  return { status: 200, headers: contentType === undefined ? {} : { 'content-type': [contentType] }, body: typeof body === 'string' ? new TextEncoder().encode(body) : body, url: 'http://a.test/' };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xfe]);

describe('response content', () => {
  it('reads the media type and charset of a Content-Type', () => {
    assert.deepEqual(mediaTypeOf('Text/HTML; Charset="ISO-8859-1"'), { essence: 'text/html', charset: 'iso-8859-1' });
    assert.deepEqual(mediaTypeOf('application/json'), { essence: 'application/json', charset: undefined });
    assert.deepEqual(mediaTypeOf(undefined), { essence: '', charset: undefined });
  });

  it('classes media types: JSON, text (text/*, XML, YAML, any charset), binary, unknown', () => {
    for (const type of ['application/json', 'application/problem+json', 'application/vnd.api+json; charset=utf-8', 'text/json']) assert.equal(contentClass(type), 'json', type);
    for (const type of ['text/plain', 'text/csv', 'application/xml', 'application/soap+xml', 'text/xml', 'application/yaml', 'application/x-ndjson', 'application/vnd.custom; charset=utf-8']) assert.equal(contentClass(type), 'text', type);
    for (const type of ['image/png', 'application/octet-stream', 'application/pdf', 'application/zip', 'audio/mpeg']) assert.equal(contentClass(type), 'binary', type);
    assert.equal(contentClass(undefined), 'unknown');
  });

  it('parses JSON as before: any JSON value, the text when it does not parse, null when empty', () => {
    assert.deepEqual(decodeContent(response('{"a":[1,2]}', 'application/json')), { a: [1, 2] });
    assert.equal(decodeContent(response('42', 'application/json')), 42);
    assert.equal(decodeContent(response('not json', 'application/json')), 'not json');
    assert.equal(decodeContent(response('', 'application/json')), null);
    assert.equal(decodeContent(response('', 'image/png')), null);
  });

  it('returns text and XML as text, even when it looks like JSON; text/plain that is JSON is parsed, as before', () => {
    assert.equal(decodeContent(response('<pet><name>Rex</name></pet>', 'application/xml')), '<pet><name>Rex</name></pet>');
    assert.equal(decodeContent(response('42', 'text/csv')), '42');
    assert.equal(decodeContent(response('{"a":1}', 'text/html; charset=utf-8')), '{"a":1}');
    assert.equal(decodeContent(response('42', 'text/plain')), 42);
    assert.deepEqual(decodeContent(response('{"a":1}', 'text/plain; charset=utf-8')), { a: 1 });
    assert.equal(decodeContent(response('just words', 'text/plain')), 'just words');
  });

  it('decodes text in its charset: UTF-8 by default, latin1, UTF-16; an unknown charset as UTF-8', () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0xfc, 0x62, 0x65, 0x72]);
    assert.equal(decodeContent(response(latin1, 'text/plain; charset=ISO-8859-1')), 'café über');
    assert.equal(decodeContent(response(latin1, 'text/plain; charset=latin1')), 'café über');
    assert.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), 'text/plain; charset=utf-16le'), 'hi');
    assert.equal(decodeText(new TextEncoder().encode('café'), 'text/plain; charset=no-such-charset'), 'café');
    assert.equal(decodeText(new TextEncoder().encode('café'), 'text/plain'), 'café');
  });

  it('returns binary bodies as base64 with their content type', () => {
    assert.deepEqual(decodeContent(response(PNG, 'image/png')), { base64: Buffer.from(PNG).toString('base64'), content_type: 'image/png' });
    assert.deepEqual(decodeContent(response('plain words', 'application/octet-stream')), { base64: Buffer.from('plain words').toString('base64'), content_type: 'application/octet-stream' });
  });

  it('without a Content-Type: JSON when it parses, text when it is UTF-8, else binary', () => {
    assert.deepEqual(decodeContent(response('{"a":1}')), { a: 1 });
    assert.equal(decodeContent(response('hello')), 'hello');
    assert.deepEqual(decodeContent(response(PNG)), { base64: Buffer.from(PNG).toString('base64'), content_type: 'application/octet-stream' });
  });

  it('refuses JSON nested deeper than the limit', () => {
    assert.throws(() => decodeContent(response('[[[[1]]]]', 'application/json'), 3), { code: 'RESPONSE_TOO_DEEP' });
  });
});
