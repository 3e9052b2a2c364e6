/**
 * The HttpClient port contract, run against every adapter (axios, undici) with a real local
 * server: pooled keep-alive sockets, any status is a response, header and body shapes, one
 * deadline, the size cap, redirects only when asked (303 → GET), transport retries only for
 * idempotent methods, cancellation, and the private-network policy before connecting.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { HttpClient, HttpRequest } from '../../src/application/ports/http-client.port';
import { WorkflowError } from '../../src/domain/workflow-error';
import { json, LocalServer } from '../integration/support/call-harness';

export interface HttpClientFactory {
  (metrics: InMemoryMetrics, options: { denyPrivateNetworks: boolean; maxResponseBytes: number; retryDelayMs: number }): HttpClient;
}

export async function rejection(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

export function describeHttpClientContract(name: string, create: HttpClientFactory): void {
  const server = new LocalServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    switch (url.pathname) {
      case '/slow':
        setTimeout(() => json(res, 200, { late: true }), 3000).unref();
        return;
      case '/big':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(Buffer.alloc(2 * 1024 * 1024, 1));
        return;
      case '/gzip':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        res.end(zlib.gzipSync(JSON.stringify({ zipped: true })));
        return;
      case '/redirect':
        res.writeHead(302, { Location: '/target' });
        res.end();
        return;
      case '/see-other':
        res.writeHead(303, { Location: '/target' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { Location: '/loop' });
        res.end();
        return;
      case '/away':
        res.writeHead(302, { Location: url.searchParams.get('to') ?? '/' });
        res.end();
        return;
      case '/echo-key':
        return json(res, 200, { apiKey: req.headers['x-api-key'] ?? null });
      case '/target':
        return json(res, 200, { arrived: true, method: req.method });
      case '/bytes':
        return json(res, 200, { base64: req.raw.toString('base64'), contentLength: req.headers['content-length'] ?? null, chunked: req.headers['transfer-encoding'] === 'chunked' });
      case '/temporary':
        res.writeHead(307, { Location: '/bytes' });
        res.end();
        return;
      case '/drip': {
        // Headers and a first chunk at once, the rest never: a body read past the deadline.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.write(Buffer.alloc(1000, 7));
        return;
      }
      case '/sized':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(2 * 1024 * 1024) });
        res.end(Buffer.alloc(2 * 1024 * 1024, 1));
        return;
      case '/big-chunked': {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        for (let i = 0; i < 32; i++) res.write(Buffer.alloc(64 * 1024, 2));
        res.end();
        return;
      }
      case '/gzip-bytes':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' });
        res.end(zlib.gzipSync(Buffer.alloc(5000, 9)));
        return;
      case '/reset':
        res.socket?.destroy();
        return;
      case '/status':
        return json(res, Number(url.searchParams.get('code') ?? 500), { failed: true }, { 'X-Trace-Id': 't-1', 'Set-Cookie': 'a=1' });
      default:
        return json(res, 200, { path: url.pathname, method: req.method, body: req.body, header: req.headers['x-test'] ?? null });
    }
  });
  const request = (path: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({ method: 'GET', url: `${server.origin}${path}`, headers: {}, timeoutMs: 2000, followRedirects: false, ...extra });

  async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      await new Promise((resolve) => setImmediate(resolve));
      yield part;
    }
  }
  const readAll = async (stream: AsyncIterable<Uint8Array> | undefined): Promise<Buffer> => {
    assert.ok(stream, 'expected a streamed body');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  };
  const bytesSeen = (body: Uint8Array): { base64: string; contentLength: string | null; chunked: boolean } => JSON.parse(Buffer.from(body).toString('utf8')) as { base64: string; contentLength: string | null; chunked: boolean };

  describe(`HttpClient contract: ${name}`, () => {
    const metrics = new InMemoryMetrics();
    const client = create(metrics, { denyPrivateNetworks: false, maxResponseBytes: 1024 * 1024, retryDelayMs: 10 });
    before(() => server.start());
    after(async () => {
      await client.close();
      await server.stop();
    });

    it('sends method, headers and body; answers with status, lower-case header lists and the body', async () => {
      const response = await client.send(request('/echo?x=1', { method: 'POST', headers: { 'X-Test': 'yes', 'Content-Type': 'application/json' }, body: '{"a":1}' }));
      assert.equal(response.status, 200);
      assert.deepEqual(response.headers['content-type'], ['application/json']);
      assert.deepEqual(JSON.parse(Buffer.from(response.body).toString('utf8')), { path: '/echo', method: 'POST', body: '{"a":1}', header: 'yes' });
      assert.equal(response.url, `${server.origin}/echo?x=1`);
    });

    it('treats any status as a response, never as an error', async () => {
      const response = await client.send(request('/status?code=503'));
      assert.equal(response.status, 503);
      assert.deepEqual(response.headers['x-trace-id'], ['t-1']);
      assert.deepEqual(response.headers['set-cookie'], ['a=1']);
    });

    it('reuses one keep-alive socket for consecutive requests', async () => {
      const first = server.seen.length;
      for (let i = 0; i < 5; i++) assert.equal((await client.send(request(`/pooled/${i}`))).status, 200);
      const sockets = new Set(server.seen.slice(first).map((s) => s.socket));
      assert.equal(sockets.size, 1, `5 requests used ${sockets.size} sockets`);
    });

    it('decodes a gzip response body', async () => {
      const response = await client.send(request('/gzip'));
      assert.deepEqual(JSON.parse(Buffer.from(response.body).toString('utf8')), { zipped: true });
    });

    it('times out a slow answer with a timeout error (408)', async () => {
      const started = Date.now();
      const error = await rejection(client.send(request('/slow', { timeoutMs: 200 })));
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.status, 408);
      assert.ok(Date.now() - started < 2000);
    });

    it('gives the caller’s reason when the request is cancelled', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 50).unref();
      const error = await rejection(client.send(request('/slow', { signal: controller.signal })));
      assert.equal(error.code, 'CANCELLED');
    });

    it('refuses a response larger than the limit', async () => {
      const error = await rejection(client.send(request('/big')));
      assert.equal(error.code, 'RESPONSE_TOO_LARGE');
      assert.equal(error.retryable, false);
      assert.equal((await client.send(request('/big', { maxResponseBytes: 4 * 1024 * 1024 }))).body.length, 2 * 1024 * 1024);
    });

    it('does not follow redirects unless asked, then follows them (303 continues as a GET)', async () => {
      const plain = await client.send(request('/redirect'));
      assert.equal(plain.status, 302);
      assert.deepEqual(plain.headers['location'], ['/target']);
      const followed = await client.send(request('/redirect', { followRedirects: true }));
      assert.equal(followed.status, 200);
      assert.equal(followed.url, `${server.origin}/target`);
      const seeOther = await client.send(request('/see-other', { method: 'POST', body: '{}', followRedirects: true }));
      assert.equal((JSON.parse(Buffer.from(seeOther.body).toString('utf8')) as { method: string }).method, 'GET');
    });

    it('drops the sensitive headers (and Authorization) on a redirect to another origin, keeps them on the same origin', async () => {
      const other = new LocalServer((req, res) => json(res, 200, { apiKey: req.headers['x-api-key'] ?? null, authorization: req.headers['authorization'] ?? null, test: req.headers['x-test'] ?? null }));
      await other.start();
      try {
        const headers = { 'X-Api-Key': 'key-123', Authorization: 'Bearer t', 'X-Test': 'kept' };
        const away = await client.send(request(`/away?to=${encodeURIComponent(`${other.origin}/landing`)}`, { headers: { ...headers }, followRedirects: true, sensitiveHeaders: ['x-api-key'] }));
        assert.equal(away.url, `${other.origin}/landing`);
        assert.deepEqual(JSON.parse(Buffer.from(away.body).toString('utf8')), { apiKey: null, authorization: null, test: 'kept' });
        const home = await client.send(request(`/away?to=${encodeURIComponent('/echo-key')}`, { headers: { ...headers }, followRedirects: true, sensitiveHeaders: ['X-API-KEY'] }));
        assert.deepEqual(JSON.parse(Buffer.from(home.body).toString('utf8')), { apiKey: 'key-123' });
      } finally {
        await other.stop();
      }
    });

    it('stops an endless redirect chain with a non-retryable error', async () => {
      const error = await rejection(client.send(request('/loop', { followRedirects: true })));
      assert.equal(error.kind, 'communication');
      assert.equal(error.retryable, false);
    });

    it('never resends a POST after a connection reset; resends a GET at most twice', async () => {
      const count = (): number => server.seen.filter((s) => s.url === '/reset').length;
      const first = count();
      const post = await rejection(client.send(request('/reset', { method: 'POST', body: '{"charge": 100}' })));
      assert.equal(post.kind, 'communication');
      assert.equal(post.code, 'NETWORK');
      assert.equal(count() - first, 1, 'the POST was sent more than once');
      const retriesBefore = metrics.count('retries', 'transport', 'call');
      await rejection(client.send(request('/reset')));
      assert.equal(count() - first, 4, 'a GET is sent once plus two transport retries');
      assert.equal(metrics.count('retries', 'transport', 'call') - retriesBefore, 2);
    });

    it('sends a GET only once after a connection reset when the workflow retries the call itself', async () => {
      const count = (): number => server.seen.filter((s) => s.url === '/reset').length;
      const first = count();
      const failure = await rejection(client.send({ ...request('/reset'), transportRetries: false }));
      assert.equal(failure.code, 'NETWORK');
      assert.equal(count() - first, 1, 'transport retries would multiply the workflow attempts');
    });

    it('resends a POST that says it only reads (idempotent: true) after a connection reset, at most twice', async () => {
      const count = (): number => server.seen.filter((s) => s.url === '/reset').length;
      const first = count();
      const failure = await rejection(client.send(request('/reset', { method: 'POST', body: '{"query": "{ a }"}', idempotent: true })));
      assert.equal(failure.code, 'NETWORK');
      assert.equal(count() - first, 3, 'a reading POST is sent once plus two transport retries');
    });

    it('sends a streamed body chunked, byte for byte, and with its Content-Length when the headers give one', async () => {
      const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
      const chunked = await client.send(request('/bytes', { method: 'POST', body: chunksOf(payload.subarray(0, 1000), payload.subarray(1000)) }));
      const seen = bytesSeen(chunked.body);
      assert.equal(seen.chunked, true);
      assert.ok(Buffer.from(seen.base64, 'base64').equals(payload));
      const sized = await client.send(request('/bytes', { method: 'PUT', headers: { 'Content-Length': String(payload.length) }, body: chunksOf(payload) }));
      assert.equal(bytesSeen(sized.body).contentLength, String(payload.length));
      assert.ok(Buffer.from(bytesSeen(sized.body).base64, 'base64').equals(payload));
    });

    it('ends the exchange with the error a streamed body throws, and never resends a streamed body', async () => {
      const refused = new WorkflowError({ kind: 'validation', code: 'INVALID_TASK', detail: 'the body gave up' });
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array([1, 2, 3]);
        await new Promise((resolve) => setImmediate(resolve));
        throw refused;
      }
      const error = await rejection(client.send(request('/bytes', { method: 'PUT', body: failing() })));
      assert.equal(error, refused);
      const count = (): number => server.seen.filter((s) => s.url === '/reset').length;
      const first = count();
      assert.equal((await rejection(client.send(request('/reset', { method: 'PUT', body: chunksOf(new Uint8Array([1])) })))).code, 'NETWORK');
      assert.equal(count() - first, 1, 'a streamed body was sent twice');
    });

    it('refuses to follow a 307 redirect with a streamed body, which would have to be sent again', async () => {
      const error = await rejection(client.send(request('/temporary', { method: 'POST', body: chunksOf(new Uint8Array([1, 2])), followRedirects: true })));
      assert.equal(error.code, 'NETWORK');
      assert.equal(error.retryable, false);
      assert.match(error.detail, /307 redirect/);
      const buffered = await client.send(request('/temporary', { method: 'POST', body: new Uint8Array([1, 2]), followRedirects: true }));
      assert.equal(Buffer.from(bytesSeen(buffered.body).base64, 'base64').length, 2);
    });

    it('streams a response body when asked: headers first, then the bytes (encoding undone), with its declared length', async () => {
      const response = await client.send(request('/sized', { bodyInChunks: true, maxResponseBytes: 4 * 1024 * 1024 }));
      assert.equal(response.status, 200);
      assert.equal(response.body.length, 0);
      assert.ok(response.chunks);
      assert.equal(response.chunks.length, 2 * 1024 * 1024);
      const bytes = await readAll(response.chunks);
      assert.ok(bytes.equals(Buffer.alloc(2 * 1024 * 1024, 1)));
      const zipped = await client.send(request('/gzip-bytes', { bodyInChunks: true, headers: { 'Accept-Encoding': 'gzip' } }));
      assert.equal(zipped.chunks?.length, undefined);
      assert.ok((await readAll(zipped.chunks)).equals(Buffer.alloc(5000, 9)));
    });

    it('applies the size limit to a streamed response: a declared length at once, an undeclared one while it is read', async () => {
      assert.equal((await rejection(client.send(request('/sized', { bodyInChunks: true })))).code, 'RESPONSE_TOO_LARGE');
      const response = await client.send(request('/big-chunked', { bodyInChunks: true }));
      const error = await rejection(readAll(response.chunks));
      assert.equal(error.code, 'RESPONSE_TOO_LARGE');
    });

    it('applies the deadline to a streamed response while it is read; a cancelled stream frees its connection', async () => {
      const response = await client.send(request('/drip', { bodyInChunks: true, timeoutMs: 300 }));
      assert.equal(response.status, 200);
      const error = await rejection(readAll(response.chunks));
      assert.equal(error.code, 'TIMEOUT');
      const cancelled = await client.send(request('/drip', { bodyInChunks: true, timeoutMs: 5000 }));
      cancelled.chunks?.cancel();
      cancelled.chunks?.cancel();
      assert.equal((await client.send(request('/target'))).status, 200);
    });

    it('rejects an invalid URL or scheme as a configuration error', async () => {
      assert.equal((await rejection(client.send(request('', { url: 'not a url' })))).kind, 'configuration');
      assert.equal((await rejection(client.send(request('', { url: 'ftp://127.0.0.1/x' })))).kind, 'configuration');
    });

    it('refuses loopback addresses when the private-network policy is on, before connecting', async () => {
      const strict = create(metrics, { denyPrivateNetworks: true, maxResponseBytes: 1024 * 1024, retryDelayMs: 10 });
      try {
        const first = server.seen.length;
        const error = await rejection(strict.send(request('/anything')));
        assert.equal(error.code, 'ADDRESS_DENIED');
        assert.equal(error.retryable, false);
        const named = await rejection(strict.send({ ...request('/anything'), url: `http://localhost:${server.port}/anything` }));
        assert.equal(named.code, 'ADDRESS_DENIED');
        assert.equal(server.seen.length, first, 'no request may reach the server');
      } finally {
        await strict.close();
      }
    });

    it('refuses every spelling of a local or private address: embedded IPv4 (mapped, compatible, 6to4, NAT64), site-local, Teredo, unspecified', async () => {
      const strict = create(metrics, { denyPrivateNetworks: true, maxResponseBytes: 1024 * 1024, retryDelayMs: 10 });
      const hosts = [
        '[::127.0.0.1]',
        '[::ffff:7f00:1]',
        '[::ffff:127.0.0.1]',
        '[2002:7f00:1::]',
        '[2002:c0a8:0101::]',
        '[fec0::1]',
        '[64:ff9b::7f00:1]',
        '[64:ff9b::192.168.1.1]',
        '[2001:0::1]',
        '[::]',
        '0.0.0.0',
      ];
      try {
        const first = server.seen.length;
        for (const host of hosts) {
          const error = await rejection(strict.send({ ...request('/anything'), url: `http://${host}:${server.port}/anything`, timeoutMs: 500 }));
          assert.equal(error.code, 'ADDRESS_DENIED', `${host}: ${error.detail}`);
          assert.equal(error.retryable, false);
        }
        assert.equal(server.seen.length, first, 'no request may reach the server');
      } finally {
        await strict.close();
      }
    });
  });
}
