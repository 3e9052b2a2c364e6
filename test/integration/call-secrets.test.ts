/**
 * Secrets of call tasks against a real local server that echoes what it received: credentials
 * are sent where they belong and never come back out of the executor, in any encoding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor, json, LocalServer } from './support/call-harness';

const QUERY_SECRET = 'SENTINEL-5ECRET-xyz n+/=';
const QUOTED_TOKEN = 'TOKEN-4SECRET"quoted\\back';

const server = new LocalServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/fail') return json(res, 500, { url: req.url, headers: req.headers });
  return json(res, 200, { url: req.url, headers: req.headers });
});

/** Everything a completion carries out of the process, as one text. */
function published(c: CompletedPayload): string {
  return JSON.stringify(c);
}

describe('call tasks never echo a credential, in any encoding', () => {
  const executor = new Executor();
  before(async () => {
    await server.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await server.stop();
  });

  it('an API key sent in the query is used, and hidden even where the server echoes it form-encoded', async () => {
    const c = await executor.run('apikey', { url: `${server.origin}/echo`, authentication: { type: 'apikey', config: { key: 'k', value: QUERY_SECRET, in: 'query' } } });
    assert.equal(c.success, true, c.error);
    assert.equal(new URL(server.seen.at(-1)!.url, 'http://x').searchParams.get('k'), QUERY_SECRET, 'the key was sent');
    assert.doesNotMatch(published(c), /5ECRET/);
    assert.doesNotMatch(JSON.stringify(executor.logger.records), /5ECRET/);
  });

  it('a bearer token with a quote and a backslash is hidden in an echoed body kept as text', async () => {
    const c = await executor.run('bearer', { url: `${server.origin}/fail`, output: 'response', authentication: { bearer: { token: QUOTED_TOKEN } } });
    assert.equal(c.success, false);
    assert.equal(server.seen.at(-1)!.headers['authorization'], `Bearer ${QUOTED_TOKEN}`, 'the token was sent');
    assert.match(String((c.output as { body: string }).body), /"authorization":"Bearer \*\*\*"/);
    assert.doesNotMatch(published(c), /4SECRET/);
  });
});
