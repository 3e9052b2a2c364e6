import { CachedDocument, DocumentCache, RefreshResult } from '../../application/ports/document-cache.port';
import { Logger } from '../../application/ports/logger.port';
import { defineScripts, ScriptedRedis } from './lua-scripts';
import { createClusterClient, createConnection, isClusterSettings, RedisConnectionSettings } from './redis-connection';

export interface RedisDocumentCacheOptions {
  /** Prefix of every key the cache writes (a test uses its own). */
  keyPrefix: string;
  /** Largest body accepted from Redis or stored, bytes: an entry above it is ignored (treated as absent). */
  maxBodyBytes: number;
  /** Longest wait for one command, ms: a cache that does not answer is a miss, not a stalled task. */
  commandTimeoutMs: number;
}

export const DEFAULT_DOCUMENT_KEY_PREFIX = 'flunq-executor:openapi-document:';

type Meta = Omit<CachedDocument, 'body' | 'sha256'>;

/** The stored metadata, or undefined when it is not what this adapter writes. */
export function parseMeta(text: string): Meta | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m['fetchedAtMs'] !== 'number' || typeof m['validatedAtMs'] !== 'number') return undefined;
  const meta: Meta = { fetchedAtMs: m['fetchedAtMs'], validatedAtMs: m['validatedAtMs'] };
  for (const name of ['etag', 'lastModified', 'version', 'finalUrl'] as const) {
    const value = m[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    meta[name] = value;
  }
  return meta;
}

export function metaOf(document: Pick<CachedDocument, keyof Meta>): string {
  const meta: Meta = { fetchedAtMs: document.fetchedAtMs, validatedAtMs: document.validatedAtMs };
  if (document.etag !== undefined) meta.etag = document.etag;
  if (document.lastModified !== undefined) meta.lastModified = document.lastModified;
  if (document.version !== undefined) meta.version = document.version;
  if (document.finalUrl !== undefined) meta.finalUrl = document.finalUrl;
  return JSON.stringify(meta);
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Cached documents in Redis (or a Redis Cluster), one hash per entry (`sha256`, `meta`, `body`)
 * with a time to live, shared by every replica using the same Redis. The connection is opened on
 * first use, so commands that never load a document never connect; each command is bounded by
 * `commandTimeoutMs` and Redis being down is a rejection the caller treats as a miss.
 */
export class RedisDocumentCache implements DocumentCache {
  readonly backend = 'redis';
  private connection: ScriptedRedis | undefined;

  constructor(
    private readonly settings: RedisConnectionSettings,
    private readonly logger: Logger,
    private readonly options: RedisDocumentCacheOptions,
  ) {}

  async get(key: string): Promise<CachedDocument | undefined> {
    const fields = await this.bounded(this.redis().hgetallBuffer(this.key(key)));
    const body = fields['body'];
    const sha256 = fields['sha256']?.toString('utf8');
    const meta = fields['meta'] ? parseMeta(fields['meta'].toString('utf8')) : undefined;
    if (!body || !sha256 || !SHA256.test(sha256) || !meta || body.byteLength > this.options.maxBodyBytes) return undefined;
    // A plain copy: ioredis hands out Buffers, which may share memory with other replies.
    return { ...meta, sha256, body: new Uint8Array(body) };
  }

  async put(key: string, document: CachedDocument, ttlMs: number): Promise<boolean> {
    if (document.body.byteLength > this.options.maxBodyBytes || ttlMs <= 0) return false;
    const k = this.key(key);
    const body = Buffer.from(document.body.buffer, document.body.byteOffset, document.body.byteLength);
    // One transaction: a reader never sees a body with another document's metadata.
    await this.bounded(this.redis().multi().del(k).hset(k, 'sha256', document.sha256, 'meta', metaOf(document), 'body', body).pexpire(k, Math.ceil(ttlMs)).exec());
    return true;
  }

  async refresh(key: string, sha256: string, update: Pick<CachedDocument, 'validatedAtMs' | 'etag' | 'lastModified'>, ttlMs: number): Promise<RefreshResult> {
    const redis = this.redis();
    const fields = await this.bounded(redis.hmget(this.key(key), 'meta'));
    if (!fields[0]) return 'missing';
    const current = parseMeta(fields[0]);
    if (!current) return 'other';
    const meta: Meta = { ...current, validatedAtMs: update.validatedAtMs };
    delete meta.etag;
    delete meta.lastModified;
    if (update.etag !== undefined) meta.etag = update.etag;
    if (update.lastModified !== undefined) meta.lastModified = update.lastModified;
    const result = await this.bounded(redis.flunqRefreshDocument(this.key(key), sha256, metaOf(meta), Math.ceil(ttlMs)));
    return result === 1 ? 'refreshed' : result === -1 ? 'missing' : 'other';
  }

  async close(): Promise<void> {
    const redis = this.connection;
    this.connection = undefined;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }

  private key(key: string): string {
    return `${this.options.keyPrefix}${key}`;
  }

  private redis(): ScriptedRedis {
    if (!this.connection) {
      const logger = this.logger.child({ component: 'redis-document-cache' });
      this.connection = defineScripts(isClusterSettings(this.settings) ? createClusterClient(this.settings, logger) : createConnection(this.settings, 'commands', logger));
    }
    return this.connection;
  }

  private async bounded<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.options.commandTimeoutMs} ms`)), this.options.commandTimeoutMs);
    });
    try {
      return await Promise.race([command, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
