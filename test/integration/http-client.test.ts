/**
 * The outbound HTTP stack against real local servers (not nock): pooled keep-alive sockets,
 * timeouts, response-size cap, redirects, transport retries only where safe, the per-host
 * circuit breaker and the private-network policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InMemoryLogger } from '../support/in-memory-logger';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { AxiosHttpClient } from '../../src/adapters/http/axios-http-client';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { guardedLookup, isDeniedAddress } from '../../src/adapters/http/address-policy';
import { OpossumCircuitBreaker } from '../../src/adapters/breaker/opossum-circuit-breaker';
import { HttpRequest } from '../../src/application/ports/http-client.port';
import { rejection } from '../contract/http-client.contract';
import { Executor, json, LocalServer } from './support/call-harness';

let mode = 'ok';
const server = new LocalServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  switch (url.pathname) {
    case '/slow':
      setTimeout(() => json(res, 200, { late: true }), 3000).unref();
      return;
    case '/flaky':
      return mode === 'down' ? json(res, 503, { down: true }) : mode === 'missing' ? json(res, 404, {}) : json(res, 200, { up: true });
    default:
      return json(res, 200, { path: url.pathname, socket: req.socket });
  }
});

function request(path: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url: `${server.origin}${path}`, headers: {}, timeoutMs: 2000, followRedirects: false, ...extra };
}


// The adapters' own behaviour (keep-alive, timeouts, size cap, redirects, transport retries,
// address policy) is pinned by the HttpClient contract suite for both adapters (test/contract).

describe('address policy', () => {
  it('classifies loopback, private, link-local, metadata and mapped addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      assert.equal(isDeniedAddress(a), true, a);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isDeniedAddress(a), false, a);
  });

  it('resolves names first and refuses a name that points at loopback', async () => {
    const error = await new Promise<Error | null>((resolve) => guardedLookup('localhost', {}, (err) => resolve(err)));
    assert.ok(error);
    assert.equal((error as { code?: string }).code, 'ADDRESS_DENIED');
  });
});

describe('OpossumCircuitBreaker with a real downstream', () => {
  const metrics = new InMemoryMetrics();
  const client = new AxiosHttpClient(metrics, DEFAULT_HTTP_CLIENT_SETTINGS);
  const logger = new InMemoryLogger();
  const breaker = new OpossumCircuitBreaker(metrics, logger, { enabled: true, volumeThreshold: 3, errorThresholdPercentage: 50, rollingWindowMs: 10_000, resetTimeoutMs: 300, maxCircuits: 10 });
  const key = { tenant: 'acme', host: '127.0.0.1-breaker' };
  const call = (): Promise<number> => breaker.run(key, () => client.send(request('/flaky')), (r) => r.status >= 500).then((r) => r.status);
  before(() => server.start());
  after(async () => {
    await breaker.close();
    await client.close();
    await server.stop();
  });

  it('stays closed on 4xx answers', async () => {
    mode = 'missing';
    for (let i = 0; i < 6; i++) assert.equal(await call(), 404);
    assert.equal(breaker.state(key), 'closed');
  });

  it('opens after repeated 5xx, fails fast with a retryable CIRCUIT_OPEN error, then recovers', async () => {
    mode = 'down';
    let failures = 0;
    while (breaker.state(key) !== 'open' && failures < 20) {
      assert.equal(await call(), 503);
      failures++;
    }
    // 6 successful 404s are in the window: half of the calls must fail before it opens.
    assert.ok(failures >= 3 && failures <= 8, `opened after ${failures} failures`);
    assert.equal(breaker.state(key), 'open');
    assert.equal(metrics.gauge('circuit_breakers', 'open'), 1);
    assert.equal(metrics.count('circuit_breaker_opened'), 1);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields['tenant'] === 'acme' && r.fields['host'] === '127.0.0.1-breaker'), 'a warn line names tenant and host');
    const before = server.seen.length;
    const error = await rejection(call());
    assert.equal(error.code, 'CIRCUIT_OPEN');
    assert.equal(error.kind, 'communication');
    assert.equal(error.retryable, true);
    assert.equal(server.seen.length, before, 'an open circuit must not call the downstream');
    mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await call(), 200);
    assert.equal(breaker.state(key), 'closed');
    assert.equal(metrics.gauge('circuit_breakers', 'open'), 0);
    assert.equal(metrics.gauge('circuit_breakers', 'closed'), 1);
    assert.ok(logger.records.some((r) => r.level === 'info' && r.fields['tenant'] === 'acme' && /circuit closed/.test(r.message)));
  });
});

describe('call tasks through the executor against a real server', () => {
  const executor = new Executor({ CIRCUIT_BREAKER_VOLUME_THRESHOLD: '2', CIRCUIT_BREAKER_RESET_TIMEOUT: '60s' });
  before(async () => {
    await server.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('a task timeout (config.timeout) bounds the HTTP call: timeout error 408, failed completion', async () => {
    const c = await executor.run('slow', { url: `${server.origin}/slow` }, { config: { timeout: 1 } });
    assert.equal(c.success, false);
    assert.match(c.error, /^HTTP request failed: request timed out after \d+ ms$/);
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/timeout');
    assert.equal(c.error_details?.['status'], 408);
  });

  it('an open circuit fails the next call fast with CIRCUIT_OPEN', async () => {
    mode = 'down';
    // `localhost` is its own circuit (keyed by host:port), apart from the timeout above on 127.0.0.1.
    const url = `http://localhost:${server.port}/flaky`;
    for (let i = 0; i < 2; i++) assert.equal((await executor.run('flaky', { url })).error, 'HTTP request failed with status 503');
    const before = server.seen.length;
    const c = await executor.run('flaky', { url });
    assert.equal(c.success, false);
    assert.equal((c.error_details?.['data'] as Record<string, unknown>)['code'], 'CIRCUIT_OPEN');
    assert.match(c.error, /^HTTP request failed: circuit breaker open for localhost:\d+/);
    assert.equal(server.seen.length, before);
    mode = 'ok';
  });

  it("one tenant's failing calls leave another tenant's circuit to the same host closed", async () => {
    mode = 'down';
    const url = `http://localhost:${server.port}/flaky?tenants`;
    for (let i = 0; i < 2; i++) assert.equal((await executor.run('flaky', { url }, { tenant: 'tenant-a' })).error, 'HTTP request failed with status 503');
    const refused = await executor.run('flaky', { url }, { tenant: 'tenant-a' });
    assert.equal((refused.error_details?.['data'] as Record<string, unknown>)['code'], 'CIRCUIT_OPEN');
    mode = 'ok';
    const before = server.seen.length;
    const other = await executor.run('flaky', { url }, { tenant: 'tenant-b' });
    assert.equal(other.success, true, other.error);
    assert.equal(server.seen.length, before + 1, "tenant B's call reached the host");
    assert.ok(executor.logger.records.some((r) => r.level === 'warn' && r.fields['tenant'] === 'tenant-a' && String(r.fields['host']).startsWith('localhost:')));
  });
});

describe('the private-network policy through the executor', () => {
  const executor = new Executor({ CALL_DENY_PRIVATE_NETWORKS: 'true' });
  before(async () => {
    await server.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('refuses calls and document fetches to loopback', async () => {
    const before = server.seen.length;
    const c = await executor.run('internal', { url: `http://127.0.0.1:${server.port}/admin` });
    assert.equal(c.success, false);
    assert.equal((c.error_details?.['data'] as Record<string, unknown>)['code'], 'ADDRESS_DENIED');
    const d = await executor.run('doc', { call_type: 'openapi', document: { endpoint: `http://localhost:${server.port}/openapi.json` }, operation_id: 'x' });
    assert.match(d.error, /^OpenAPI operation failed: failed to load document: address .* is not allowed/);
    assert.equal(server.seen.length, before);
  });
});
