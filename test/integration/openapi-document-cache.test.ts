/**
 * The shared OpenAPI document cache against real parts: a local HTTP origin serving a document
 * with an ETag, Redis (the local server, under a key prefix of this run's own, removed after) and
 * the NATS key-value store (the local server, in a bucket of this run's own, deleted after), the
 * real document workers and HTTP client. Replicas and restarts are separate document sources
 * sharing the Redis; time for freshness moves on a fake clock (Redis keeps its own, far longer).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { connect } from 'nats';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { OpenApiDocumentWorkers } from '../../src/adapters/openapi/document-worker-client';
import { OasDocumentSource, sharedDocumentKey } from '../../src/adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../../src/adapters/openapi/process-document-cache';
import { NatsDocumentCache } from '../../src/adapters/nats/document-cache';
import { RedisDocumentCache } from '../../src/adapters/redis/document-cache';
import { CallTaskHandler } from '../../src/application/handlers/call/call.handler';
import { CircuitBreaker } from '../../src/application/ports/circuit-breaker.port';
import { buildCompletedPayload, identityOfRequest } from '../../src/domain/flunq-events';
import { FakeClock } from '../support/fake-clock';
import { InMemoryLogger } from '../support/in-memory-logger';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { fakeContext, request } from '../unit/try/fake-context';

const TTL = 60_000;
const DOCUMENT = fs.readFileSync(require.resolve('@readme/oas-examples/3.0/json/petstore.json'));
const SHA256 = createHash('sha256').update(DOCUMENT).digest('hex');
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `test:openapi-document-cache:${process.pid}-${Date.now()}:`;

/** What the origin answered: `200` with the document, or `304`. */
const answers: number[] = [];
let server: http.Server;
let origin: string;
let redis: Redis;
const clock = new FakeClock(Date.now());
const metrics = new InMemoryMetrics();
const logger = new InMemoryLogger();
const closers: (() => Promise<unknown>)[] = [];

class OpenDoor implements CircuitBreaker {
  run<T>(_scope: unknown, action: () => Promise<T>): Promise<T> {
    return action();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The worker threads take a while to start under ts-node: the replicas of this process share them (each document is held apart all the same). */
const workers = new OpenApiDocumentWorkers({ maxWorkers: 1, maxMemoryMb: 256 });

/** One replica (or one start of it): its own HTTP client and in-process cache; the shared Redis. */
function replica(withSharedCache = true): { source: OasDocumentSource; http: UndiciHttpClient } {
  const client = new UndiciHttpClient(new InMemoryMetrics(), DEFAULT_HTTP_CLIENT_SETTINGS);
  const shared = new RedisDocumentCache({ url: redisUrl }, logger, { keyPrefix: prefix, maxBodyBytes: 10 * 1024 * 1024, commandTimeoutMs: 2_000 });
  closers.push(() => client.close(), () => shared.close());
  const source = new OasDocumentSource(client, clock, metrics, { cacheTtlMs: TTL, requestTimeoutMs: 10_000, maxDocumentBytes: 10 * 1024 * 1024, bounds: documentCacheBounds(1), maxStaleMs: 3_600_000 }, workers, withSharedCache ? shared : undefined, logger);
  return { source, http: client };
}

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/openapi.json') {
      if (req.headers['if-none-match'] === `"${SHA256}"`) {
        answers.push(304);
        res.writeHead(304, { ETag: `"${SHA256}"` }).end();
        return;
      }
      answers.push(200);
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${SHA256}"`, 'Last-Modified': 'Mon, 07 Dec 2026 10:00:00 GMT' }).end(DOCUMENT);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": 42}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

after(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await workers.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  server.closeAllConnections();
  server.close();
});

describe('OpenAPI documents shared through Redis by replicas and restarts', () => {
  // The tenant of the task requests below (the key prefix keeps this run apart).
  const tenant = 'acme';
  let url: string;
  before(() => {
    url = `${origin}/openapi.json`;
  });

  it('a second replica finds the document in Redis and asks the origin nothing', async () => {
    const first = await replica().source.load(tenant, url);
    assert.deepEqual(answers, [200]);
    assert.deepEqual(first.identity, { version: '1.0.0', sha256: SHA256 });
    const stored = await redis.hgetall(`${prefix}${sharedDocumentKey(tenant, url)}`);
    assert.equal(stored['sha256'], SHA256);
    assert.ok(Number(await redis.pttl(`${prefix}${sharedDocumentKey(tenant, url)}`)) > TTL, 'kept in Redis for the TTL and the max-stale');

    const second = await replica().source.load(tenant, url);
    assert.deepEqual(answers, [200], 'no request to the origin');
    assert.deepEqual(second.identity, first.identity);
    const prepared = await second.prepare('getPetById', { petId: 42 });
    assert.equal(prepared.url, 'http://petstore.swagger.io/v2/pet/42', 'the stored form, parsed in the worker, is the same document');
    assert.equal(metrics.count('document_cache', 'hit', 'redis'), 1);
  });

  it('a restart past the TTL revalidates with If-None-Match and gets 304', async () => {
    await clock.advance(TTL + 1);
    const restarted = await replica().source.load(tenant, url);
    assert.deepEqual(answers, [200, 304]);
    assert.deepEqual(restarted.identity, { version: '1.0.0', sha256: SHA256 });
    assert.ok(await restarted.prepare('getPetById', { petId: 1 }));
    assert.equal(metrics.count('document_cache', 'revalidated', 'redis'), 1);
    const meta = JSON.parse((await redis.hget(`${prefix}${sharedDocumentKey(tenant, url)}`, 'meta')) ?? '{}') as { validatedAtMs?: number };
    assert.equal(meta.validatedAtMs, clock.now(), 'the revalidation is recorded for the other replicas');
  });

  it('with the origin stopped, a replica serves the stale copy', async () => {
    await clock.advance(TTL + 1);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const stale = await replica().source.load(tenant, url);
    assert.deepEqual(stale.identity, { version: '1.0.0', sha256: SHA256 });
    assert.equal(metrics.count('document_cache', 'stale', 'redis'), 1);
    assert.ok(logger.records.some((r) => r.level === 'warn' && /stale/.test(r.message)));
    // Started again (same port) for the calls below.
    await new Promise<void>((resolve) => server.listen(Number(new URL(origin).port), '127.0.0.1', resolve));
  });

  it('a task pinning another version fails with DOCUMENT_VERSION_MISMATCH, sends nothing, and its completion names the document', async () => {
    const { source, http: client } = replica();
    const handler = new CallTaskHandler(client, new OpenDoor(), source, clock, { idempotencyKeys: false });
    const req = request({ task_name: 'fetchPet', task_type: 'call', config: { parameters: { call_type: 'openapi', document: { endpoint: url, version: '2.0.0' }, operation_id: 'getPetById', parameters: { petId: 42 } } } });
    const { context } = await fakeContext(req);
    const before = answers.length;
    const outcome = await handler.execute({ ...context, deadline: clock.now() + 30_000 });
    assert.equal(outcome.success, false);
    assert.equal(!outcome.success && outcome.error.code, 'DOCUMENT_VERSION_MISMATCH');
    assert.match(!outcome.success ? outcome.error.detail : '', /expects document version "2\.0\.0", but .* has version "1\.0\.0"/);
    // The copy was stale: revalidated once (304) by the load; the pin's recheck finds it confirmed just now.
    assert.deepEqual(answers.slice(before), [304], 'the origin was asked about the document once, and no operation was called');
    const payload = buildCompletedPayload(identityOfRequest(req), { outcome, taskType: 'call', startedAtMs: clock.now(), completedAtMs: clock.now(), attempt: 1 }, req.input);
    assert.deepEqual(payload.data.metadata.document, { url, version: '1.0.0', sha256: SHA256 });
  });
});

describe('how often the origin is asked, across a restart (docs/document-cache.md)', () => {
  /** Two replicas run `perReplica` loads each (one per OpenAPI task), are restarted and run as many again, and again once the TTL has passed. */
  async function scenario(shared: boolean, tenant: string): Promise<{ full: number; revalidations: number; loads: number }> {
    const start = answers.length;
    const replicas = (): OasDocumentSource[] => [replica(shared).source, replica(shared).source];
    const perReplica = 20;
    let loads = 0;
    const run = async (sources: OasDocumentSource[]): Promise<void> => {
      for (let i = 0; i < perReplica; i++) {
        for (const source of sources) {
          await source.load(tenant, `${origin}/openapi.json`);
          loads++;
        }
      }
    };
    await run(replicas());
    await clock.advance(10_000);
    const restarted = replicas(); // a rolling deployment, within the TTL
    await run(restarted);
    await clock.advance(TTL);
    await run(restarted); // the TTL passed
    const seen = answers.slice(start);
    return { full: seen.filter((s) => s === 200).length, revalidations: seen.filter((s) => s === 304).length, loads };
  }

  it('with the shared cache: one download for 120 loads on two replicas restarted once, and one 304 after the TTL', async () => {
    const withShared = await scenario(true, 'rate-shared');
    const without = await scenario(false, 'rate-local');
    assert.deepEqual(withShared, { full: 1, revalidations: 1, loads: 120 });
    assert.deepEqual(without, { full: 4, revalidations: 2, loads: 120 });
  });
});

describe('OpenAPI documents shared through the NATS key-value store', () => {
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const bucket = `TEST_OPENAPI_DOCUMENTS_${process.pid}_${Date.now()}`;
  after(async () => {
    const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, '') });
    await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`).catch(() => false);
    await nc.close();
  });

  it('a second replica finds the document in the bucket and asks the origin nothing', async () => {
    const natsReplica = (): OasDocumentSource => {
      const client = new UndiciHttpClient(new InMemoryMetrics(), DEFAULT_HTTP_CLIENT_SETTINGS);
      const shared = new NatsDocumentCache({ connection: { url: natsUrl, credsFile: undefined }, bucket, bucketTtlMs: 3_600_000, maxBodyBytes: 10 * 1024 * 1024, requestTimeoutMs: 2_000 }, clock);
      closers.push(() => client.close(), () => shared.close());
      return new OasDocumentSource(client, clock, metrics, { cacheTtlMs: TTL, requestTimeoutMs: 10_000, maxDocumentBytes: 10 * 1024 * 1024, bounds: documentCacheBounds(1), maxStaleMs: 3_600_000 }, workers, shared, logger);
    };
    const start = answers.length;
    const first = await natsReplica().load('nats-tenant', `${origin}/openapi.json`);
    const second = await natsReplica().load('nats-tenant', `${origin}/openapi.json`);
    assert.deepEqual(answers.slice(start), [200]);
    assert.deepEqual(second.identity, first.identity);
    assert.ok(await second.prepare('getPetById', { petId: 7 }));
    assert.equal(metrics.count('document_cache', 'hit', 'nats'), 1);
  });
});
