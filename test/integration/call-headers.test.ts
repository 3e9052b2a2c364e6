/**
 * Header injection: a request header with CR/LF/NUL in its value, or a name that is not an
 * RFC 9110 token, fails the task as a configuration error before anything is sent — with either
 * HTTP client — and is neither retried by the transport nor counted by the circuit breaker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor, json, LocalServer } from './support/call-harness';

const server = new LocalServer((req, res) => json(res, 200, { url: req.url, injected: req.headers['injected'] ?? null }));

function code(c: CompletedPayload): unknown {
  return (c.error_details?.['data'] as Record<string, unknown> | undefined)?.['code'];
}

for (const client of ['undici', 'axios']) {
  describe(`invalid request headers (${client})`, () => {
    // One failure within the window would open the circuit if these calls counted against it.
    const executor = new Executor({ HTTP_CLIENT: client, CIRCUIT_BREAKER_VOLUME_THRESHOLD: '1', CIRCUIT_BREAKER_ERROR_PERCENT: '1', CIRCUIT_BREAKER_RESET_TIMEOUT: '60s' });
    before(async () => {
      await server.start();
      await executor.start();
    });
    after(async () => {
      await executor.stop();
      await server.stop();
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['CR LF in a value', { headers: { 'X-Custom': 'a\r\nInjected: yes' } }, /invalid value of request header "X-Custom": it contains CR, LF or NUL/],
      ['a bare LF in a value', { headers: { 'X-Custom': 'a\nInjected: yes' } }, /contains CR, LF or NUL/],
      ['NUL in a value', { headers: { 'X-Custom': 'a\u0000b' } }, /contains CR, LF or NUL/],
      ['CR LF in a name', { headers: { 'X-Custom\r\nInjected': 'yes' } }, /invalid request header name "X-Custom\\r\\nInjected"/],
      ['a space in a name', { headers: { 'X Custom': 'yes' } }, /invalid request header name "X Custom"/],
      ['CR LF in an API key value', { authentication: { apikey: { key: 'X-Api-Key', value: 'k\r\nInjected: yes' } } }, /HTTP request failed: invalid value of request header "X-Api-Key"/],
      ['CR LF in a bearer token', { authentication: { bearer: { token: 'tok\r\nInjected: yes' } } }, /invalid value of request header "Authorization"/],
    ];
    for (const [what, parameters, message] of cases) {
      it(`refuses ${what} as a configuration error, sends nothing and leaves the circuit closed`, async () => {
        const before = server.seen.length;
        const retries = executor.metrics.count('retries', 'transport', 'call');
        const c = await executor.run('inject', { url: `${server.origin}/target`, ...parameters });
        assert.equal(c.success, false);
        assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
        assert.equal(code(c), 'INVALID_HEADER');
        assert.match(c.error, message);
        assert.doesNotMatch(`${c.error} ${JSON.stringify(c.error_details)}`, /Injected: yes/, 'the error never quotes the value');
        assert.equal(server.seen.length, before, 'no request reached the server');
        assert.equal(executor.metrics.count('retries', 'transport', 'call'), retries, 'no transport retry');

        const ok = await executor.run('afterwards', { url: `${server.origin}/target` });
        assert.equal(ok.success, true, `the circuit for the host stayed closed: ${ok.error}`);
        assert.equal(server.seen.length, before + 1);
      });
    }
  });
}
