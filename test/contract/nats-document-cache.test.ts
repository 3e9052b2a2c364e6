import { after, before } from 'node:test';
import { connect, NatsConnection } from 'nats';
import { NatsDocumentCache } from '../../src/adapters/nats/document-cache';
import { FakeClock } from '../support/fake-clock';
import { describeDocumentCacheContract } from './document-cache.contract';

// The shared local NATS (NATS_URL to use another), in a bucket of this run's own, deleted after.
const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const bucket = `TEST_DOCUMENTS_${process.pid}_${Date.now()}`;
let client: NatsConnection;
let n = 0;

before(async () => {
  client = await connect({ servers: url.replace(/^nats:\/\//, '') });
});
after(async () => {
  const jsm = await client.jetstreamManager();
  await jsm.streams.delete(`KV_${bucket}`).catch(() => false);
  await client.close();
});

describeDocumentCacheContract('NATS key-value', () => {
  const maxBodyBytes = 64 * 1024;
  const clock = new FakeClock(Date.now());
  const cache = new NatsDocumentCache({ connection: { url, credsFile: undefined }, bucket, bucketTtlMs: 3_600_000, maxBodyBytes, requestTimeoutMs: 2_000 }, clock);
  return Promise.resolve({
    cache,
    maxBodyBytes,
    newKey: () => `key-${++n}`,
    elapse: (_key, ms) => clock.advance(ms),
    corrupt: async (key) => {
      const kv = await client.jetstream().views.kv(bucket);
      await kv.put(key, new TextEncoder().encode('garbage'));
    },
    close: () => cache.close(),
  });
}, { holdsBytes: true });
