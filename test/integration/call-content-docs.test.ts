/**
 * The examples of docs/call-content.md, run: each `<!-- example: name -->` block is taken from the
 * document, its addresses pointed at local servers (the API at :8080, the file server at :8081),
 * and what the page says happens is checked against what the executor does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const ROOT = path.resolve(__dirname, '../..');
const API = 'http://127.0.0.1:8080';
const FILES = 'http://127.0.0.1:8081';
const PNG_SIGNATURE = Buffer.from('iVBORw0KGgo=', 'base64');
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');

function examples(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/call-content.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

async function formParts(seen: Seen): Promise<[string, string | { filename: string; type: string; bytes: Buffer }][]> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(seen.headers)) if (typeof value === 'string') headers.set(name, value);
  const form = await new Request('http://upload.test/', { method: 'POST', headers, body: seen.raw }).formData();
  const out: [string, string | { filename: string; type: string; bytes: Buffer }][] = [];
  for (const [name, value] of form.entries()) out.push([name, typeof value === 'string' ? value : { filename: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) }]);
  return out;
}

describe('docs/call-content.md examples', () => {
  const blocks = examples();
  let api: LocalServer;
  let files: LocalServer;
  const executor = new Executor();
  const example = (name: string): Record<string, unknown> => {
    const block = blocks.get(name);
    assert.ok(block !== undefined, `example ${name} is in the document`);
    return JSON.parse(block.split(API).join(api.origin).split(FILES).join(files.origin)) as Record<string, unknown>;
  };

  before(async () => {
    files = new LocalServer((req, res) => {
      if (req.url !== '/files/report.pdf') return json(res, 404, {});
      res.writeHead(200, { 'Content-Type': 'application/pdf', 'Content-Length': String(PDF.length) });
      res.end(PDF);
    });
    api = new LocalServer((req, res) => {
      if (req.url === '/openapi.json') {
        return json(res, 200, {
          openapi: '3.0.3',
          info: { title: 'pets', version: '1' },
          servers: [{ url: api.origin }],
          paths: {
            '/pets/{id}/photo': {
              post: {
                operationId: 'uploadPhoto',
                parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
                requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { caption: { type: 'string' }, photo: { type: 'string', format: 'binary' } } }, encoding: { photo: { contentType: 'image/png' } } } } },
                responses: { '200': { description: 'ok', content: { 'application/json': {} } } },
              },
            },
          },
        });
      }
      if (req.url === '/pet.png') return void res.writeHead(200, { 'Content-Type': 'image/png' }).end(PNG_SIGNATURE);
      if (req.url === '/pet.xml') return void res.writeHead(200, { 'Content-Type': 'application/xml; charset=utf-8' }).end('<pet id="7"><name>Rex</name></pet>');
      json(res, 200, { stored: true });
    });
    await files.start();
    await api.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await api.stop();
    await files.stop();
  });

  it('multipart: the fields and files arrive as the page lists them', async () => {
    const c = await executor.run('multipart', example('multipart'));
    assert.equal(c.success, true, c.error);
    const seen = api.seen.filter((s) => s.url === '/documents').at(-1);
    assert.ok(seen);
    assert.deepEqual(await formParts(seen), [
      ['title', 'Q3 report'],
      ['pages', '12'],
      ['tags', 'finance'],
      ['tags', 'q3'],
      ['meta', '{"draft":false}'],
      ['notes', { filename: 'notes.txt', type: 'text/plain', bytes: Buffer.from('hello world') }],
      ['report', { filename: 'report.pdf', type: 'application/pdf', bytes: PDF }],
    ]);
    assert.match(seen.raw.toString('latin1'), /name="meta"\r\nContent-Type: application\/json\r\n/);
  });

  it('openapi-multipart: the caption field and the photo file, and the request echo without bytes', async () => {
    const c = await executor.completion(executor.submit('photo', example('openapi-multipart')), 30_000);
    assert.equal(c.success, true, c.error);
    const seen = api.seen.filter((s) => s.url === '/pets/7/photo').at(-1);
    assert.ok(seen);
    assert.deepEqual(await formParts(seen), [
      ['caption', 'Rex'],
      ['photo', { filename: 'rex.png', type: 'image/png', bytes: PNG_SIGNATURE }],
    ]);
    assert.deepEqual((c.output as { request: { body: unknown } }).request.body, { content_type: 'multipart/form-data', parts: [{ name: 'caption' }, { name: 'photo', filename: 'rex.png', content_type: 'image/png', bytes: 8 }] });
  });

  it('binary: the eight bytes with Content-Type image/png', async () => {
    const c = await executor.run('avatar', example('binary'));
    assert.equal(c.success, true, c.error);
    const seen = api.seen.filter((s) => s.url === '/avatar').at(-1);
    assert.equal(seen?.headers['content-type'], 'image/png');
    assert.ok(seen?.raw.equals(PNG_SIGNATURE));
  });

  it('png-response and xml-response: the outputs shown', async () => {
    const png = await executor.run('png', { url: `${api.origin}/pet.png` });
    const xml = await executor.run('xml', { url: `${api.origin}/pet.xml` });
    const pick = (output: unknown): unknown => {
      const { status_code, headers, data } = output as { status_code: number; headers: Record<string, string[]>; data: unknown };
      return { status_code, headers: { 'Content-Type': headers['Content-Type'] }, data };
    };
    assert.deepEqual(pick(png.output), JSON.parse(blocks.get('png-response') ?? 'null'));
    assert.deepEqual(pick(xml.output), JSON.parse(blocks.get('xml-response') ?? 'null'));
  });
});
