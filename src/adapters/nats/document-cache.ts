import { connect, KV, NatsConnection } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { CachedDocument, DocumentCache, RefreshResult } from '../../application/ports/document-cache.port';
import { connectionOptions, connectionProblem, NatsConnectionSettings, serversOf } from './connection';
import { openTaskBucket } from './setup';

export interface NatsDocumentCacheOptions {
  connection: NatsConnectionSettings;
  /** The key-value bucket (created when missing). */
  bucket: string;
  /** How long the bucket keeps a value at most, ms: the longest time to live any entry is stored with. */
  bucketTtlMs: number;
  /** Largest body accepted from the bucket or stored, bytes: an entry above it is ignored (treated as absent). */
  maxBodyBytes: number;
  /** Longest wait for one request to the server, ms. */
  requestTimeoutMs: number;
}

/** The bucket for documents beside the executor's stream: key-value bucket names allow `A-Z a-z 0-9 _ -` only. */
export function documentBucketName(stream: string): string {
  return `${stream.replace(/[^A-Za-z0-9_-]/g, '_')}_OPENAPI_DOCUMENTS`;
}

interface Header {
  sha256: string;
  /** When the entry stops being served, ms since the epoch (the bucket's TTL is the same for all its values). */
  expiresAtMs: number;
  etag?: string;
  lastModified?: string;
  fetchedAtMs: number;
  validatedAtMs: number;
  version?: string;
  finalUrl?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A value: the header's length (4 bytes, big-endian), the header (JSON), then the body. */
export function encodeValue(header: Header, body: Uint8Array): Uint8Array {
  const head = encoder.encode(JSON.stringify(header));
  const value = new Uint8Array(4 + head.byteLength + body.byteLength);
  new DataView(value.buffer).setUint32(0, head.byteLength);
  value.set(head, 4);
  value.set(body, 4 + head.byteLength);
  return value;
}

export function decodeValue(value: Uint8Array): { header: Header; body: Uint8Array } | undefined {
  if (value.byteLength < 4) return undefined;
  const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  if (4 + length > value.byteLength) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(value.subarray(4, 4 + length)));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const h = raw as Record<string, unknown>;
  if (typeof h['sha256'] !== 'string' || !SHA256.test(h['sha256'])) return undefined;
  if (typeof h['expiresAtMs'] !== 'number' || typeof h['fetchedAtMs'] !== 'number' || typeof h['validatedAtMs'] !== 'number') return undefined;
  const header: Header = { sha256: h['sha256'], expiresAtMs: h['expiresAtMs'], fetchedAtMs: h['fetchedAtMs'], validatedAtMs: h['validatedAtMs'] };
  for (const name of ['etag', 'lastModified', 'version', 'finalUrl'] as const) {
    const v = h[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') return undefined;
    header[name] = v;
  }
  // A plain copy: the client hands out Buffers, which may share memory with other messages.
  return { header, body: new Uint8Array(value.subarray(4 + length)) };
}

function headerOf(document: CachedDocument, expiresAtMs: number): Header {
  const header: Header = { sha256: document.sha256, expiresAtMs, fetchedAtMs: document.fetchedAtMs, validatedAtMs: document.validatedAtMs };
  if (document.etag !== undefined) header.etag = document.etag;
  if (document.lastModified !== undefined) header.lastModified = document.lastModified;
  if (document.version !== undefined) header.version = document.version;
  if (document.finalUrl !== undefined) header.finalUrl = document.finalUrl;
  return header;
}

/**
 * Cached documents in a JetStream key-value bucket (EVENT_STREAM_TYPE=nats), one value per entry:
 * a small JSON header (validators, times, hash, version, expiry) and the body. The bucket's TTL
 * removes values no one refreshes; the expiry in the header gives each entry its own time to live
 * within it. Values larger than the server's message limit are not stored. The connection is
 * opened on first use and every request is bounded by `requestTimeoutMs`.
 */
export class NatsDocumentCache implements DocumentCache {
  readonly backend = 'nats';
  private connecting: Promise<{ nc: NatsConnection; kv: KV }> | undefined;

  constructor(
    private readonly options: NatsDocumentCacheOptions,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<CachedDocument | undefined> {
    const { kv } = await this.connected();
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const decoded = decodeValue(entry.value);
    if (!decoded || decoded.header.expiresAtMs <= this.clock.now() || decoded.body.byteLength > this.options.maxBodyBytes) return undefined;
    const { sha256, expiresAtMs: _expires, ...meta } = decoded.header;
    return { ...meta, sha256, body: decoded.body };
  }

  async put(key: string, document: CachedDocument, ttlMs: number): Promise<boolean> {
    if (document.body.byteLength > this.options.maxBodyBytes || ttlMs <= 0) return false;
    const { nc, kv } = await this.connected();
    const value = encodeValue(headerOf(document, this.clock.now() + ttlMs), document.body);
    // Headers and subject take a little of the server's message limit too.
    if (value.byteLength + 1024 > (nc.info?.max_payload ?? 1024 * 1024)) return false;
    await kv.put(key, value);
    return true;
  }

  async refresh(key: string, sha256: string, update: Pick<CachedDocument, 'validatedAtMs' | 'etag' | 'lastModified'>, ttlMs: number): Promise<RefreshResult> {
    const { kv } = await this.connected();
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return 'missing';
    const decoded = decodeValue(entry.value);
    if (!decoded) return 'other';
    if (decoded.header.expiresAtMs <= this.clock.now()) return 'missing';
    if (decoded.header.sha256 !== sha256) return 'other';
    const header: Header = { ...decoded.header, validatedAtMs: update.validatedAtMs, expiresAtMs: this.clock.now() + ttlMs };
    delete header.etag;
    delete header.lastModified;
    if (update.etag !== undefined) header.etag = update.etag;
    if (update.lastModified !== undefined) header.lastModified = update.lastModified;
    try {
      // Only over the revision read: a value another replica stored meanwhile stays as it is.
      await kv.update(key, encodeValue(header, decoded.body), entry.revision);
      return 'refreshed';
    } catch (error) {
      if (error instanceof Error && /wrong last sequence/i.test(error.message)) return 'other';
      throw error;
    }
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    const connected = await connecting?.catch(() => undefined);
    if (connected && !connected.nc.isClosed()) await connected.nc.close();
  }

  private connected(): Promise<{ nc: NatsConnection; kv: KV }> {
    const connecting = (this.connecting ??= this.open());
    // A failed connection is tried again on the next request.
    connecting.catch(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    return connecting;
  }

  private async open(): Promise<{ nc: NatsConnection; kv: KV }> {
    const { connection, bucket, bucketTtlMs, requestTimeoutMs } = this.options;
    let nc: NatsConnection;
    try {
      nc = await connect({ ...connectionOptions(connection, 'flunq-executor-documents'), timeout: requestTimeoutMs });
    } catch (error) {
      throw new Error(`cannot connect to NATS at ${serversOf(connection.url)} (NATS_URL): ${connectionProblem(error)}`, { cause: error });
    }
    try {
      // Created when missing; an existing bucket's TTL is brought to this one's (the settings may change between deployments).
      return { nc, kv: await openTaskBucket(nc, bucket, bucketTtlMs, requestTimeoutMs) };
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }
}
