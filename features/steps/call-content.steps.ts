import assert from 'node:assert/strict';
import { Given, Then } from '@cucumber/cucumber';
import nock from 'nock';
import { ExecutorWorld } from '../support/world';

/** A small PNG (signature and IHDR): bytes no text decoding survives. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

interface Upload {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function uploads(world: ExecutorWorld): Upload[] {
  let list = world.bag.get('content.uploads') as Upload[] | undefined;
  if (!list) world.bag.set('content.uploads', (list = []));
  return list;
}

function lastUpload(world: ExecutorWorld): Upload {
  const last = uploads(world).at(-1);
  assert.ok(last, 'the API received no upload');
  return last;
}

/** nock hands a body that is not UTF-8 over as hex; the bytes are rebuilt from it. */
function bodyBytes(body: unknown): Buffer {
  if (typeof body !== 'string') return Buffer.from(JSON.stringify(body ?? ''));
  return body.length % 2 === 0 && /^[0-9a-f]+$/.test(body) ? Buffer.from(body, 'hex') : Buffer.from(body, 'utf8');
}

/** The upload's parts, read by a real multipart parser (the WHATWG `Request.formData()`). */
async function formOf(upload: Upload): Promise<FormData> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upload.headers)) if (typeof value === 'string') headers.set(name, value);
  return new Request('https://api.example.test/', { method: 'POST', headers, body: upload.body }).formData();
}

Given('the file server {string} serves {string} as {string}', function (this: ExecutorWorld, origin: string, path: string, contentType: string) {
  nock(origin).get(path).reply(200, PNG, { 'Content-Type': contentType, 'Content-Length': String(PNG.length) });
});

Given('the file server {string} serves {string} with {int} bytes', function (this: ExecutorWorld, origin: string, path: string, size: number) {
  nock(origin).get(path).reply(200, Buffer.alloc(size, 1), { 'Content-Type': 'application/octet-stream' });
});

Given('the file server {string} does not have {string}', function (this: ExecutorWorld, origin: string, path: string) {
  nock(origin).get(path).reply(404, 'not found', { 'Content-Type': 'text/plain' });
});

Given('the API {string} accepts uploads at {word} {string}', function (this: ExecutorWorld, origin: string, method: string, path: string) {
  const received = uploads(this);
  nock(origin)
    .intercept(path, method)
    .optionally()
    .reply(function (_uri, body) {
      received.push({ headers: this.req.headers, body: bodyBytes(body) });
      return [201, { stored: true }];
    });
});

Given('the API {string} answers GET {string} with base64 {string} as {string}', function (this: ExecutorWorld, origin: string, path: string, base64: string, contentType: string) {
  nock(origin).get(path).reply(200, Buffer.from(base64, 'base64'), { 'Content-Type': contentType });
});

Given('the request size limit is {int} bytes', function (this: ExecutorWorld, limit: number) {
  this.env['CALL_MAX_REQUEST_BYTES'] = String(limit);
});

Then('the upload should have the field {string} with {string}', async function (this: ExecutorWorld, name: string, value: string) {
  assert.deepEqual((await formOf(lastUpload(this))).getAll(name), [value]);
});

async function fileOf(world: ExecutorWorld, name: string, filename: string, contentType: string): Promise<Buffer> {
  const file = (await formOf(lastUpload(world))).get(name);
  assert.ok(file instanceof File, `no file part "${name}"`);
  assert.equal(file.name, filename);
  assert.equal(file.type, contentType);
  return Buffer.from(await file.arrayBuffer());
}

Then('the upload should have the file {string} named {string} of type {string} containing {string}', async function (this: ExecutorWorld, name: string, filename: string, contentType: string, text: string) {
  assert.equal((await fileOf(this, name, filename, contentType)).toString('utf8'), text);
});

Then('the upload should have the file {string} named {string} of type {string} with the bytes the file server served', async function (this: ExecutorWorld, name: string, filename: string, contentType: string) {
  assert.ok((await fileOf(this, name, filename, contentType)).equals(PNG));
});

Then('the upload should be the bytes of base64 {string} with content type {string}', function (this: ExecutorWorld, base64: string, contentType: string) {
  const upload = lastUpload(this);
  assert.equal(upload.headers['content-type'], contentType);
  assert.ok(upload.body.equals(Buffer.from(base64, 'base64')));
});

Then('the API should have received {int} uploads', function (this: ExecutorWorld, count: number) {
  assert.equal(uploads(this).length, count);
});
