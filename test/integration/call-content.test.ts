/**
 * Files and other content types against real local servers, with either HTTP client: multipart
 * bodies parsed by a real multipart parser (the WHATWG `Request.formData()`) and checked byte for
 * byte, files fetched from a second server and streamed into the upload, binary bodies, the size
 * limit and unreachable files, and responses in XML, text, latin1 and PNG bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

/** A real PNG: the 8-byte signature and an IHDR chunk, bytes no text decoding survives. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b60000000049454e44ae426082', 'hex');
const LATIN1 = Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e, 0x2c, 0x20, 0x63, 0x61, 0x66, 0xe9]);
const REPORT = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

interface ParsedPart {
  name: string;
  filename?: string;
  type?: string;
  value?: string;
  base64?: string;
}

/** Parses a multipart request as a browser or fetch server would. */
async function formParts(seen: Seen): Promise<ParsedPart[]> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(seen.headers)) if (typeof value === 'string') headers.set(name, value);
  const form = await new Request('http://upload.test/', { method: 'POST', headers, body: seen.raw }).formData();
  const parts: ParsedPart[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') parts.push({ name, value });
    else parts.push({ name, filename: value.name, type: value.type, base64: Buffer.from(await value.arrayBuffer()).toString('base64') });
  }
  return parts;
}

const PETS_DOCUMENT = (origin: string): unknown => ({
  openapi: '3.0.3',
  info: { title: 'pets', version: '1' },
  servers: [{ url: `${origin}/api` }],
  paths: {
    '/pets/{id}/photo': {
      post: {
        operationId: 'uploadPhoto',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        requestBody: {
          content: {
            'multipart/form-data': {
              schema: { type: 'object', properties: { caption: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, photo: { type: 'string', format: 'binary' } } },
              encoding: { photo: { contentType: 'image/png' } },
            },
          },
        },
        responses: { '200': { description: 'ok', content: { 'application/json': {} } } },
      },
      put: {
        operationId: 'replacePhoto',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: { '204': { description: 'replaced' } },
      },
      get: {
        operationId: 'getPhoto',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'the photo', content: { 'image/png': {}, 'application/xml': {}, 'application/json': {} } }, '404': { description: 'none', content: { 'text/plain': {} } } },
      },
    },
  },
});

const files = new LocalServer((req, res) => {
  switch (req.url.split('?')[0]) {
    case '/files/report.bin':
      res.writeHead(200, { 'Content-Type': 'application/vnd.report', 'Content-Length': String(REPORT.length) });
      res.end(REPORT);
      return;
    case '/files/chunked.png':
      // No Content-Length: the upload cannot announce its size either.
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.write(PNG.subarray(0, 10));
      setImmediate(() => res.end(PNG.subarray(10)));
      return;
    case '/files/huge.bin':
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      for (let i = 0; i < 16; i++) res.write(Buffer.alloc(1024, i));
      res.end();
      return;
    default:
      json(res, 404, { missing: req.url });
  }
});

const api = new LocalServer((req, res) => {
  const path = req.url.split('?')[0] ?? '';
  switch (path) {
    case '/openapi.json':
      return json(res, 200, PETS_DOCUMENT(api.origin));
    case '/xml':
      res.writeHead(200, { 'Content-Type': 'application/xml; charset=utf-8' });
      res.end('<pet id="7"><name>Rëx</name></pet>');
      return;
    case '/text':
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.end('id,name\n7,Rex\n');
      return;
    case '/latin1':
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=ISO-8859-1' });
      res.end(LATIN1);
      return;
    case '/api/pets/7/photo':
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'image/png' });
        res.end(PNG);
        return;
      }
      if (req.method === 'PUT') {
        res.writeHead(204);
        res.end();
        return;
      }
      return json(res, 200, { received: true });
    default:
      return json(res, 200, { received: true });
  }
});

function code(c: CompletedPayload): unknown {
  return (c.error_details?.['data'] as Record<string, unknown> | undefined)?.['code'];
}

for (const client of ['undici', 'axios']) {
  describe(`call content (${client})`, () => {
    const executor = new Executor({ HTTP_CLIENT: client, CALL_MAX_REQUEST_BYTES: '8192' });
    before(async () => {
      await files.start();
      await api.start();
      await executor.start();
    });
    after(async () => {
      await executor.stop();
      await api.stop();
      await files.stop();
    });
    const lastUpload = (): Seen => {
      const seen = api.seen.filter((s) => s.url.startsWith('/upload')).at(-1);
      assert.ok(seen, 'the upload reached the server');
      return seen;
    };

    it('sends multipart fields, a base64 file and a file fetched from another server, byte for byte', async () => {
      const c = await executor.run('upload', {
        url: `${api.origin}/upload`,
        method: 'POST',
        headers: { 'Content-Type': 'multipart/form-data' },
        body: {
          fields: { title: 'Q3 report', pages: 12, tags: ['a', 'b'], meta: { draft: false } },
          files: [
            { name: 'scan', filename: 'scan.png', content_type: 'image/png', base64: PNG.toString('base64') },
            { name: 'report', url: `${files.origin}/files/report.bin?X-Amz-Signature=sig-SECRET-4711` },
          ],
        },
      });
      assert.equal(c.success, true, c.error);
      assert.ok(!JSON.stringify(c).includes('sig-SECRET-4711'), 'a presigned URL\'s signature is never published');
      assert.match(JSON.stringify(c.data), /X-Amz-Signature=\*\*\*/);
      const seen = lastUpload();
      assert.match(String(seen.headers['content-type']), /^multipart\/form-data; boundary=flunq-[0-9a-f]{32}$/);
      assert.equal(seen.headers['content-length'], String(seen.raw.length), 'every size was known: sent with a Content-Length');
      assert.deepEqual(await formParts(seen), [
        { name: 'title', value: 'Q3 report' },
        { name: 'pages', value: '12' },
        { name: 'tags', value: 'a' },
        { name: 'tags', value: 'b' },
        { name: 'meta', value: '{"draft":false}' },
        { name: 'scan', filename: 'scan.png', type: 'image/png', base64: PNG.toString('base64') },
        { name: 'report', filename: 'report.bin', type: 'application/vnd.report', base64: REPORT.toString('base64') },
      ]);
    });

    it('streams a file of unknown size chunked into the upload', async () => {
      const c = await executor.run('upload', { url: `${api.origin}/upload/chunked`, method: 'PUT', headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'photo', url: `${files.origin}/files/chunked.png` }] } });
      assert.equal(c.success, true, c.error);
      const seen = lastUpload();
      assert.equal(seen.headers['transfer-encoding'], 'chunked');
      assert.equal(seen.headers['content-length'], undefined);
      assert.deepEqual(await formParts(seen), [{ name: 'photo', filename: 'chunked.png', type: 'image/png', base64: PNG.toString('base64') }]);
    });

    it('sends a binary body as its bytes with its content type', async () => {
      const c = await executor.run('binary', { url: `${api.origin}/upload/raw`, method: 'PUT', body: { base64: PNG.toString('base64'), content_type: 'image/png' } });
      assert.equal(c.success, true, c.error);
      const seen = lastUpload();
      assert.equal(seen.headers['content-type'], 'image/png');
      assert.ok(seen.raw.equals(PNG));
      const fetched = await executor.run('binary', { url: `${api.origin}/upload/raw`, method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: { url: `${files.origin}/files/report.bin` } });
      assert.equal(fetched.success, true, fetched.error);
      assert.equal(lastUpload().headers['content-type'], 'application/octet-stream');
      assert.ok(lastUpload().raw.equals(REPORT));
    });

    it('refuses a body over CALL_MAX_REQUEST_BYTES: inline before sending, a fetched file as it streams', async () => {
      const before = api.seen.length;
      const inline = await executor.run('big', { url: `${api.origin}/upload/big`, method: 'POST', body: { base64: Buffer.alloc(9000).toString('base64'), content_type: 'application/octet-stream' } });
      assert.equal(inline.success, false);
      assert.equal(code(inline), 'REQUEST_TOO_LARGE');
      assert.equal(inline.error_details?.['status'], 413);
      assert.equal(api.seen.length, before, 'nothing was sent');
      const streamed = await executor.run('big', { url: `${api.origin}/upload/big`, method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'f', url: `${files.origin}/files/huge.bin` }] } });
      assert.equal(streamed.success, false);
      assert.equal(code(streamed), 'REQUEST_TOO_LARGE');
      assert.match(streamed.error, /HTTP request failed: file part "f" \(http:\/\/127\.0\.0\.1:\d+\/files\/huge\.bin\) makes the request body larger than the limit of 8192 bytes/);
    });

    it('fails clearly when a file cannot be fetched, before anything is uploaded', async () => {
      const before = api.seen.length;
      const missing = await executor.run('missing', { url: `${api.origin}/upload/x`, method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'f', url: `${files.origin}/files/nope.png` }] } });
      assert.equal(missing.success, false);
      assert.equal(code(missing), 'FILE_FETCH_FAILED');
      assert.match(missing.error, /file part "f": could not fetch http:\/\/127\.0\.0\.1:\d+\/files\/nope\.png: the server answered 404/);
      const refused = await executor.run('refused', { url: `${api.origin}/upload/x`, method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'f', url: 'http://127.0.0.1:1/x.png' }] } });
      assert.equal(code(refused), 'NETWORK');
      assert.equal(api.seen.length, before, 'nothing was uploaded');
    });

    it('decodes responses by content type: XML and text as text, latin1 in its charset, PNG as base64', async () => {
      const xml = await executor.run('xml', { url: `${api.origin}/xml` });
      assert.equal((xml.output as { data: unknown }).data, '<pet id="7"><name>Rëx</name></pet>');
      const text = await executor.run('text', { url: `${api.origin}/text` });
      assert.equal((text.output as { data: unknown }).data, 'id,name\n7,Rex\n');
      const latin1 = await executor.run('latin1', { url: `${api.origin}/latin1`, output: 'response' });
      assert.equal((latin1.output as { body: unknown }).body, 'München, café');
      const png = await executor.run('png', { url: `${api.origin}/api/pets/7/photo` });
      assert.deepEqual((png.output as { data: unknown }).data, { base64: PNG.toString('base64'), content_type: 'image/png' });
    });

    it('OpenAPI: builds a multipart body from the schema (format: binary properties are files), a binary body, and sends Accept from the responses', async () => {
      const document = { endpoint: `${api.origin}/openapi.json` };
      // The first OpenAPI call starts a document worker: more time than the harness's default.
      const upload = await executor.completion(executor.submit('photo', { call_type: 'openapi', document, operation_id: 'uploadPhoto', parameters: { id: 7, body: { caption: 'Rex', tags: ['dog', 'good'], photo: { base64: PNG.toString('base64'), filename: 'rex.png' } } } }), 30_000);
      assert.equal(upload.success, true, upload.error);
      const seen = api.seen.filter((s) => s.url === '/api/pets/7/photo' && s.method === 'POST').at(-1);
      assert.ok(seen);
      assert.equal(seen.headers['accept'], 'application/json');
      assert.deepEqual(await formParts(seen), [
        { name: 'caption', value: 'Rex' },
        { name: 'tags', value: 'dog' },
        { name: 'tags', value: 'good' },
        { name: 'photo', filename: 'rex.png', type: 'image/png', base64: PNG.toString('base64') },
      ]);
      const echo = (upload.output as { request: { body: unknown } }).request.body;
      assert.deepEqual(echo, { content_type: 'multipart/form-data', parts: [{ name: 'caption' }, { name: 'tags' }, { name: 'tags' }, { name: 'photo', filename: 'rex.png', content_type: 'image/png', bytes: PNG.length }] });

      const replace = await executor.run('replace', { call_type: 'openapi', document, operation_id: 'replacePhoto', parameters: { id: 7, body: { url: `${files.origin}/files/chunked.png` } } });
      assert.equal(replace.success, true, replace.error);
      const put = api.seen.filter((s) => s.url === '/api/pets/7/photo' && s.method === 'PUT').at(-1);
      assert.equal(put?.headers['content-type'], 'application/octet-stream');
      assert.ok(put?.raw.equals(PNG));

      const photo = await executor.run('get', { call_type: 'openapi', document, operation_id: 'getPhoto', parameters: { id: 7 } });
      assert.equal(photo.success, true, photo.error);
      const get = api.seen.filter((s) => s.url === '/api/pets/7/photo' && s.method === 'GET').at(-1);
      assert.equal(get?.headers['accept'], 'application/json, image/png, application/xml');
      assert.deepEqual((photo.output as { content: unknown }).content, { base64: PNG.toString('base64'), content_type: 'image/png' });
    });
  });
}

describe('call content under the address policy', () => {
  const executor = new Executor({ CALL_DENY_PRIVATE_NETWORKS: 'true' });
  before(async () => {
    await files.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await files.stop();
  });

  it('fetches files under the same policy as the call: a private address is refused', async () => {
    const before = files.seen.length;
    const c = await executor.run('denied', { url: 'https://upload.example.test/x', method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: { files: [{ name: 'f', url: `${files.origin}/files/report.bin` }] } });
    assert.equal(c.success, false);
    assert.equal(code(c), 'ADDRESS_DENIED');
    assert.match(c.error, /file part "f": could not fetch/);
    assert.equal(files.seen.length, before, 'the file server was never reached');
  });
});
