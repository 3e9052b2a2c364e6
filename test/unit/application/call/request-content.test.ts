import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64, explicitParts, httpCallContent } from '../../../../src/application/handlers/call/request-content';
import { encodeContent, EncodedContent } from '../../../../src/application/handlers/call/content-encoding';
import { HttpClient, HttpRequest, HttpResponse, HttpBodyChunks } from '../../../../src/application/ports/http-client.port';
import { PreparedContent } from '../../../../src/application/ports/openapi-document-source.port';
import { WorkflowError } from '../../../../src/domain/workflow-error';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x80]);

/** Files served by URL, as streams of the given chunks (or a status). */
class FileServer implements HttpClient {
  readonly requests: HttpRequest[] = [];
  readonly cancelled: string[] = [];
  constructor(private readonly files: Record<string, { chunks?: Buffer[]; status?: number; type?: string; declared?: number | null }>) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const file = this.files[request.url];
    if (!file) return Promise.reject(new WorkflowError({ kind: 'communication', code: 'NETWORK', detail: 'connect ECONNREFUSED' }));
    const pieces = file.chunks ?? [];
    const total = pieces.reduce((n, c) => n + c.length, 0);
    if (total > (request.maxResponseBytes ?? Infinity) && file.declared !== null) return Promise.reject(new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_LARGE', detail: 'too large' }));
    const cancelled = this.cancelled;
    const body: HttpBodyChunks = {
      length: file.declared === null ? undefined : (file.declared ?? total),
      cancel: () => cancelled.push(request.url),
      async *[Symbol.asyncIterator]() {
        let size = 0;
        for (const chunk of pieces) {
          await Promise.resolve();
          size += chunk.length;
          if (size > (request.maxResponseBytes ?? Infinity)) throw new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_LARGE', detail: 'too large' });
          yield chunk;
        }
      },
    };
    const headers: Record<string, string[]> = file.type ? { 'content-type': [file.type] } : {};
    return Promise.resolve({ status: file.status ?? 200, headers, body: new Uint8Array(0), chunks: body, url: request.url });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function makeSut(files: ConstructorParameters<typeof FileServer>[0] = {}, maxBytes = 1024 * 1024) {
  const http = new FileServer(files);
  const encode = (content: PreparedContent): Promise<EncodedContent> => encodeContent(content, { http, maxBytes, timeoutMs: () => 5000, transportRetries: true, boundary: () => 'BOUNDARY' });
  return { http, encode };
}

async function bytesOf(body: EncodedContent['body']): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkflowError, String(error));
    return error;
  }
  assert.fail('expected a failure');
}

describe('request content', () => {
  it('decodes standard and URL-safe base64, padded or not, across line breaks; refuses anything else', () => {
    assert.deepEqual(Buffer.from(decodeBase64(PNG.toString('base64')) ?? []), PNG);
    assert.deepEqual(Buffer.from(decodeBase64(PNG.toString('base64url')) ?? []), PNG);
    assert.equal(Buffer.from(decodeBase64('aGVs\nbG8=') ?? []).toString(), 'hello');
    assert.equal(decodeBase64('')?.length, 0);
    for (const bad of ['a', 'ab!c', 'aGVsbG8=x', 'é===', 'aG===']) assert.equal(decodeBase64(bad), undefined, bad);
  });

  it('reads the explicit multipart form: fields (arrays repeat, objects as JSON, null dropped) and files', () => {
    const parts = explicitParts({ fields: { a: 'x', n: 1, tags: ['p', 'q'], meta: { k: 1 }, gone: null }, files: [{ name: 'doc', filename: 'd.txt', base64: 'aGk=' }] });
    assert.deepEqual(parts, [
      { name: 'a', value: 'x', file: false },
      { name: 'n', value: 1, file: false },
      { name: 'tags', value: 'p', file: false },
      { name: 'tags', value: 'q', file: false },
      { name: 'meta', value: { k: 1 }, file: false },
      { name: 'doc', value: { filename: 'd.txt', base64: 'aGk=' }, file: true },
    ]);
    assert.throws(() => explicitParts({ fields: {}, extra: 1 }), /only "fields" and "files"/);
    assert.throws(() => explicitParts({ files: [{ base64: 'aGk=' }] }), /files\[0\] needs a "name"/);
    assert.throws(() => explicitParts({ files: [{ name: 'f', base64: 'aGk=', size: 2 }] }), /unknown keys "size"/);
  });

  it('picks the content of an HTTP call: multipart by its Content-Type, binary for a file value of a non-JSON type, else nothing', () => {
    assert.equal(httpCallContent({ fields: { a: 'b' } }, 'multipart/form-data')?.kind, 'multipart');
    assert.deepEqual(httpCallContent({ base64: 'aGk=', content_type: 'image/png' }, undefined), { kind: 'binary', contentType: 'image/png', value: { base64: 'aGk=', content_type: 'image/png' } });
    assert.equal(httpCallContent({ url: 'https://files.test/a.pdf' }, 'application/pdf')?.kind, 'binary');
    // JSON bodies that merely look like a file stay JSON.
    assert.equal(httpCallContent({ base64: 'aGk=' }, undefined), undefined);
    assert.equal(httpCallContent({ base64: 'aGk=', content_type: 'application/json' }, undefined), undefined);
    assert.equal(httpCallContent({ url: 'https://x.test' }, 'application/json'), undefined);
    assert.equal(httpCallContent({ base64: 'aGk=', other: 1 }, 'image/png'), undefined);
    assert.equal(httpCallContent('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', 'multipart/form-data; boundary=b'), undefined, 'a form encoded by the task is sent as is');
    assert.throws(() => httpCallContent(['a'], 'multipart/form-data'), /a multipart\/form-data body is an object/);
  });

  it('encodes inline parts into exact multipart bytes with a Content-Length', async () => {
    const { encode } = makeSut();
    const encoded = await encode({ kind: 'multipart', parts: [
      { name: 'title', value: 'Q3 "report"', file: false },
      { name: 'meta', value: { pages: 2 }, file: false },
      { name: 'scan', value: { base64: PNG.toString('base64'), filename: 'scan.png', content_type: 'image/png' }, file: true },
      { name: 'note', value: 'plain text file', file: true },
    ] });
    const expected = Buffer.concat([
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="title"\r\n\r\nQ3 "report"\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n{"pages":2}\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="scan"; filename="scan.png"\r\nContent-Type: image/png\r\n\r\n'),
      PNG,
      Buffer.from('\r\n--BOUNDARY\r\nContent-Disposition: form-data; name="note"; filename="note"\r\nContent-Type: application/octet-stream\r\n\r\nplain text file\r\n--BOUNDARY--\r\n'),
    ]);
    assert.ok(encoded.body instanceof Uint8Array);
    assert.deepEqual(await bytesOf(encoded.body), expected);
    assert.equal(encoded.length, expected.length);
    assert.equal(encoded.contentType, 'multipart/form-data; boundary=BOUNDARY');
    assert.deepEqual(encoded.summary, { content_type: 'multipart/form-data', parts: [{ name: 'title' }, { name: 'meta', content_type: 'application/json' }, { name: 'scan', filename: 'scan.png', content_type: 'image/png', bytes: PNG.length }, { name: 'note', filename: 'note', content_type: 'application/octet-stream', bytes: 15 }] });
  });

  it('escapes quotes and line breaks in part names and file names', async () => {
    const { encode } = makeSut();
    const encoded = await encode({ kind: 'multipart', parts: [{ name: 'a"b\r\nX: y', value: { base64: '', filename: 'f"\n.txt' }, file: true }] });
    assert.match((await bytesOf(encoded.body)).toString(), /name="a%22b%0D%0AX: y"; filename="f%22%0A.txt"/);
  });

  it('encodes a binary body: its own content type before the declared one', async () => {
    const { encode } = makeSut();
    const own = await encode({ kind: 'binary', contentType: 'application/octet-stream', value: { base64: PNG.toString('base64'), content_type: 'image/png' } });
    assert.equal(own.contentType, 'image/png');
    assert.deepEqual(await bytesOf(own.body), PNG);
    const declared = await encode({ kind: 'binary', contentType: 'application/pdf', value: { base64: 'JVBERg==' } });
    assert.equal(declared.contentType, 'application/pdf');
    assert.equal((await bytesOf(declared.body)).toString(), '%PDF');
  });

  it('streams files fetched by URL into the body, with the served content type and a Content-Length when every size is declared', async () => {
    const { encode, http } = makeSut({ 'https://files.test/docs/report.pdf': { chunks: [Buffer.from('%PDF-'), Buffer.from('1.7')], type: 'application/pdf' } });
    const encoded = await encode({ kind: 'multipart', parts: [{ name: 'doc', value: { url: 'https://files.test/docs/report.pdf' }, file: true }] });
    assert.ok(!(encoded.body instanceof Uint8Array), 'a fetched file is streamed');
    const bytes = await bytesOf(encoded.body);
    assert.equal(bytes.toString(), '--BOUNDARY\r\nContent-Disposition: form-data; name="doc"; filename="report.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--BOUNDARY--\r\n');
    assert.equal(encoded.length, bytes.length);
    const fetch = http.requests[0];
    assert.equal(fetch?.bodyInChunks, true);
    assert.equal(fetch?.followRedirects, true);
    assert.equal(fetch?.method, 'GET');
  });

  it('sends chunked when a fetched file declares no size', async () => {
    const { encode } = makeSut({ 'https://files.test/a.bin': { chunks: [Buffer.from('abc')], declared: null } });
    const encoded = await encode({ kind: 'binary', contentType: 'application/octet-stream', value: { url: 'https://files.test/a.bin' } });
    assert.equal(encoded.length, undefined);
    assert.equal((await bytesOf(encoded.body)).toString(), 'abc');
  });

  it('refuses bodies over the limit: inline at once, a declared size before sending, an undeclared one while it streams', async () => {
    const small = makeSut({ 'https://files.test/big': { chunks: [Buffer.alloc(600), Buffer.alloc(600)] }, 'https://files.test/quiet': { chunks: [Buffer.alloc(600), Buffer.alloc(600)], declared: null } }, 1024);
    const inline = await failure(small.encode({ kind: 'binary', contentType: 'application/octet-stream', value: { base64: Buffer.alloc(2000).toString('base64') } }));
    assert.equal(inline.code, 'REQUEST_TOO_LARGE');
    assert.equal(inline.status, 413);
    assert.equal(inline.kind, 'validation');
    const declared = await failure(small.encode({ kind: 'multipart', parts: [{ name: 'f', value: { url: 'https://files.test/big' }, file: true }] }));
    assert.equal(declared.code, 'REQUEST_TOO_LARGE');
    assert.match(declared.detail, /file part "f" \(https:\/\/files\.test\/big\)/);
    const streaming = await small.encode({ kind: 'multipart', parts: [{ name: 'f', value: { url: 'https://files.test/quiet' }, file: true }] });
    const late = await failure(bytesOf(streaming.body));
    assert.equal(late.code, 'REQUEST_TOO_LARGE');
  });

  it('fails clearly for a file that cannot be fetched, releasing the files already opened', async () => {
    const { encode, http } = makeSut({ 'https://files.test/ok': { chunks: [Buffer.from('x')] }, 'https://files.test/gone': { status: 404 }, 'https://files.test/down': { status: 503 } });
    const parts = (second: string): PreparedContent => ({ kind: 'multipart', parts: [{ name: 'a', value: { url: 'https://files.test/ok' }, file: true }, { name: 'b', value: { url: second }, file: true }] });
    const missing = await failure(encode(parts('https://files.test/gone')));
    assert.equal(missing.code, 'FILE_FETCH_FAILED');
    assert.equal(missing.kind, 'communication');
    assert.equal(missing.retryable, false);
    assert.equal(missing.detail, 'file part "b": could not fetch https://files.test/gone: the server answered 404');
    assert.deepEqual(http.cancelled.sort(), ['https://files.test/gone', 'https://files.test/ok']);
    assert.equal((await failure(encode(parts('https://files.test/down')))).retryable, true);
    const refused = await failure(encode(parts('https://nowhere.test/x')));
    assert.equal(refused.code, 'NETWORK');
    assert.equal(refused.detail, 'file part "b": could not fetch https://nowhere.test/x: connect ECONNREFUSED');
  });

  it('refuses bad file values with configuration errors naming the part', async () => {
    const { encode } = makeSut();
    const cases: [unknown, RegExp][] = [
      [{ base64: 'not base64!' }, /file part "f": "base64" is not valid base64/],
      [{ url: 'ftp://files.test/x' }, /"url" must be http\(s\)/],
      [{ url: 'relative/x' }, /"url" is not an absolute URL/],
      [{ base64: 'aGk=', url: 'https://a.test' }, /one of base64 or url/],
      [{ base64: 'aGk=', filename: 3 }, /file part "f" is a file|"filename" is a string/],
      [{ base64: 'aGk=', content_type: 'text/plain\r\nX-Evil: 1' }, /line break/],
    ];
    for (const [value, expected] of cases) {
      const error = await failure(encode({ kind: 'multipart', parts: [{ name: 'f', value, file: true }] }));
      assert.equal(error.kind, 'configuration');
      assert.match(error.detail, expected);
    }
  });

  it('fetches at most 32 files by URL per request, refusing more before fetching any', async () => {
    const { encode, http } = makeSut();
    const parts = Array.from({ length: 33 }, (_, i) => ({ name: `f${i}`, value: { url: `https://files.test/${i}` }, file: true }));
    const error = await failure(encode({ kind: 'multipart', parts }));
    assert.equal(error.kind, 'configuration');
    assert.match(error.detail, /33 files to fetch by URL; at most 32 per request/);
    assert.equal(http.requests.length, 0);
  });

  it('hides token-like query values of file URLs in what it reports', async () => {
    const { encode } = makeSut({ 'https://files.test/a?token=s3cr3t-value': { status: 403 } });
    const error = await failure(encode({ kind: 'binary', contentType: 'application/octet-stream', value: { url: 'https://files.test/a?token=s3cr3t-value' } }));
    assert.ok(!error.detail.includes('s3cr3t-value'), error.detail);
  });
});
