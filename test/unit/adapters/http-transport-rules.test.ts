import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HTTP_CLIENT_SETTINGS, transportRetriesFor, transportRetryDelayMs } from '../../../src/adapters/http/http-client-settings';
import { exchangeFailure } from '../../../src/adapters/http/http-errors';
import { HttpRequest } from '../../../src/application/ports/http-client.port';
import { errors } from '../../../src/domain/workflow-error';

const settings = { ...DEFAULT_HTTP_CLIENT_SETTINGS, transportRetries: 5, retryDelayMs: 100 };

function request(extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url: 'https://api.example.test/x', headers: {}, timeoutMs: 1000, followRedirects: false, ...extra };
}

describe('transport retries shared by both HTTP adapters', () => {
  it('resends idempotent methods at most twice, whatever the setting, and non-idempotent ones never', () => {
    assert.equal(transportRetriesFor(request({ method: 'GET' }), settings), 2);
    assert.equal(transportRetriesFor(request({ method: 'put' }), settings), 2);
    assert.equal(transportRetriesFor(request({ method: 'GET' }), { ...settings, transportRetries: 1 }), 1);
    assert.equal(transportRetriesFor(request({ method: 'GET' }), { ...settings, transportRetries: -3 }), 0);
    assert.equal(transportRetriesFor(request({ method: 'POST' }), settings), 0);
    assert.equal(transportRetriesFor(request({ method: 'PATCH' }), settings), 0);
  });

  it('resends a POST that says it only reads (a GraphQL query), and not when the workflow retries', () => {
    assert.equal(transportRetriesFor(request({ method: 'POST', idempotent: true }), settings), 2);
    assert.equal(transportRetriesFor(request({ method: 'POST', idempotent: true, transportRetries: false }), settings), 0);
    assert.equal(transportRetriesFor(request({ method: 'GET', idempotent: false }), settings), 0);
  });

  it('sends once when the workflow retries the call itself', () => {
    assert.equal(transportRetriesFor(request({ method: 'GET', transportRetries: false }), settings), 0);
  });

  it('waits 2^n × retryDelayMs plus up to 20 % jitter before retry n', () => {
    assert.equal(transportRetryDelayMs(1, settings, () => 0), 200);
    assert.equal(transportRetryDelayMs(2, settings, () => 0), 400);
    assert.equal(transportRetryDelayMs(2, settings, () => 0.5), 440);
  });
});

describe('exchange failures shared by both HTTP adapters', () => {
  it('reports the address policy first, even when the refusal is wrapped by the library', () => {
    const refusal = Object.assign(new Error('address 127.0.0.1 of localhost is not allowed'), { code: 'ADDRESS_DENIED' });
    const wrapped = new Error('connect failed', { cause: refusal });
    const failure = exchangeFailure(wrapped, { request: request(), timedOut: true, timeoutMs: 1000 });
    assert.equal(failure.code, 'ADDRESS_DENIED');
    assert.equal(failure.retryable, false);
  });

  it('gives the caller\'s own abort reason, then the deadline, then a retryable NETWORK named by the code', () => {
    const controller = new AbortController();
    controller.abort(errors.timeout('task exceeded its timeout of 5 ms'));
    const socket = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(exchangeFailure(socket, { request: request({ signal: controller.signal }), timedOut: true, timeoutMs: 1000 }).detail, 'task exceeded its timeout of 5 ms');
    assert.equal(exchangeFailure(socket, { request: request(), timedOut: true, timeoutMs: 1000 }).code, 'TIMEOUT');
    const network = exchangeFailure(socket, { request: request(), timedOut: false, timeoutMs: 1000 });
    assert.equal(network.code, 'NETWORK');
    assert.equal(network.retryable, true);
    assert.equal(network.detail, 'ECONNRESET: socket hang up');
  });
});
