import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nock from 'nock';
import { AxiosHttpClient } from '../../../src/adapters/http/axios-http-client';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../../src/adapters/http/http-client-settings';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { WorkflowError } from '../../../src/domain/workflow-error';

describe('private-network policy on redirects (nock)', () => {
  const client = new AxiosHttpClient(new InMemoryMetrics(), { ...DEFAULT_HTTP_CLIENT_SETTINGS, denyPrivateNetworks: true });
  before(() => nock.disableNetConnect());
  after(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await client.close();
  });

  for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:6379/', 'http://[::1]/', 'http://localhost/admin']) {
    it(`refuses a redirect to ${target}`, async () => {
      const metadata = nock(new URL(target).origin).get(() => true).reply(200, 'secret');
      nock('https://public.example.test').get('/go').reply(302, '', { Location: target });
      await assert.rejects(
        client.send({ method: 'GET', url: 'https://public.example.test/go', headers: {}, timeoutMs: 2000, followRedirects: true }),
        (e: unknown) => e instanceof WorkflowError && e.code === 'ADDRESS_DENIED' && e.retryable === false,
      );
      assert.equal(metadata.isDone(), false, 'the denied address must not be contacted');
      nock.cleanAll();
    });
  }

  it('follows a redirect to another public host', async () => {
    nock('https://public.example.test').get('/go').reply(302, '', { Location: 'https://other.example.test/there' });
    nock('https://other.example.test').get('/there').reply(200, { ok: true });
    const response = await client.send({ method: 'GET', url: 'https://public.example.test/go', headers: {}, timeoutMs: 2000, followRedirects: true });
    assert.equal(response.status, 200);
    assert.equal(response.url, 'https://other.example.test/there');
  });
});
