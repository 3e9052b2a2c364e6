import { createHash } from 'node:crypto';
import { Clock } from '../../application/ports/clock.port';
import { CachedDocument, DocumentCache } from '../../application/ports/document-cache.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { DocumentIdentity, DocumentLoadOptions, OpenApiDocument, OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { redactUrl } from '../../domain/redaction';
import { isWorkflowError } from '../../domain/workflow-error';
import { DocumentLoads } from './document-loads';
import { untilAborted } from '../../domain/until-aborted';
import { documentFailed, fetchDocument, header, OriginFailure, withoutQuery } from './document-origin';
import { DocumentWorkers, HeldDocument, SourceDocument } from './held-document';
import { CacheEntry, CopyMeta, DocumentCacheBounds, metaOf, ProcessDocumentCache } from './process-document-cache';

export interface OasDocumentSourceOptions {
  /** How long a loaded document is reused (OPENAPI_CACHE_TTL_SECONDS); 0 disables the cache. */
  cacheTtlMs: number;
  /** Deadline of one document fetch (OPENAPI_REQUEST_TIMEOUT_SECONDS), and of each step of processing it once its worker starts on it. */
  requestTimeoutMs: number;
  /** Largest document accepted, in bytes; also the largest stored form read back from the shared cache, decompressed. */
  maxDocumentBytes: number;
  bounds: DocumentCacheBounds;
  /**
   * How long past its TTL a copy may still be served while its origin cannot be reached
   * (OPENAPI_CACHE_MAX_STALE); 0 (the default): never.
   */
  maxStaleMs?: number;
}

/**
 * After a stale copy was served, how long the next calls use it without asking the origin again
 * (at most the TTL): an origin that is down costs one timeout per this interval, not one per call.
 */
const STALE_RETRY_MS = 30_000;

/**
 * A copy the origin confirmed less than this ago is not asked about again when a load asks to
 * revalidate: tasks pinning a version the document is not at cost at most one request per second
 * and document, however many there are.
 */
const REVALIDATE_INTERVAL_MS = 1_000;

/** The shared cache's key of a tenant's document: a hash, as URLs and tenant names may carry secrets (`v1`: the stored form's format). */
export function sharedDocumentKey(tenant: string, url: string): string {
  return `v1.${createHash('sha256').update(`openapi\u0000${tenant}\u0000${url}`).digest('hex')}`;
}

/**
 * OpenAPI documents fetched through the HttpClient port (address policy, size cap and timeout
 * included), cached per tenant and exact URL for the TTL (a document fetched for one tenant is
 * never handed to another: their credentials or networks may differ); concurrent loads of one
 * URL by one tenant share one fetch; failures are not cached.
 *
 * Freshness: within the TTL a copy is used without asking the origin. After it, the origin is
 * asked with a conditional request (`If-None-Match`, `If-Modified-Since`): `304` keeps the copy
 * for another TTL; a new document replaces it; an origin that cannot be reached (network error,
 * timeout, 5xx, 429) leaves the copy in use for up to `maxStaleMs` past its TTL (a warning and a
 * `stale` count each time), the origin being asked again after STALE_RETRY_MS.
 *
 * With a shared DocumentCache, every document fetched is also stored there (its parsed text as
 * JSON, gzip-compressed, with its validators, times, hash and version) under a hash of the tenant
 * and the URL, so that other replicas and the next start of this one find it: a fresh entry is
 * used without asking the origin, a stale one is revalidated as above. An entry read back is
 * parsed in the tenant's worker under the same limits as a fetched document.
 *
 * The in-process cache is bounded (ProcessDocumentCache). A document evicted while a call holds it
 * is loaded again when that call prepares its request.
 */
export class OasDocumentSource implements OpenApiDocumentSource {
  private readonly cache: ProcessDocumentCache;
  private readonly loads = new DocumentLoads();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly options: OasDocumentSourceOptions,
    /** Parse and hold the documents off the event loop. */
    private readonly workers: DocumentWorkers,
    /** Shared with other replicas and kept across restarts (OPENAPI_CACHE_SHARED); undefined: this process only. */
    private readonly shared?: DocumentCache,
    private readonly logger?: Logger,
  ) {
    this.cache = new ProcessDocumentCache(clock, options.bounds, options.requestTimeoutMs);
  }

  load(tenant: string, url: string, signal?: AbortSignal, options: DocumentLoadOptions = {}): Promise<OpenApiDocument> {
    const pending = this.obtain(tenant, url, options.revalidate === true);
    return signal ? untilAborted(pending, signal) : pending;
  }

  /** Drops every cached document (tests, operations). */
  clear(): void {
    this.cache.clear();
  }

  /** Documents cached now, with the bytes of their text (tests, operations). */
  size(): { documents: number; bytes: number } {
    return this.cache.size();
  }

  /** Resolves once no document is being parsed or prepared: `true` if it had to wait (tests on a fake clock). */
  whenIdle(): Promise<boolean> {
    return this.workers.whenIdle();
  }

  /** @internal The tenant's document, from the cache or loaded again; `revalidate`: ask the origin even when the copy is fresh. */
  obtain(tenant: string, url: string, revalidate = false): Promise<SourceDocument> {
    const key = `${tenant}\u0000${url}`;
    const cached = this.cache.get(key);
    const now = this.clock.now();
    if (revalidate && cached?.copy && now - cached.copy.validatedAtMs < REVALIDATE_INTERVAL_MS) revalidate = false;
    if (cached && !revalidate && cached.freshUntilMs > now && cached.document.held.loaded) {
      this.metrics.openApiCache('hit');
      this.cache.touch(key, cached);
      return Promise.resolve(cached.document);
    }
    // A copy gone from its worker is of no use; an expired one is kept to be revalidated, or served stale.
    if (cached && !cached.document.held.loaded) this.cache.evict(key, cached);
    const pending = this.loads.pending(key);
    if (pending) {
      this.metrics.openApiCache('hit');
      return pending;
    }
    this.metrics.openApiCache('miss');
    const local = cached?.document.held.loaded ? cached : undefined;
    return this.loads.start(tenant, key, () => this.renew(tenant, url, key, local, revalidate));
  }

  /** The document when the in-process copy is missing or no longer fresh: from the shared cache, the origin, or a stale copy. */
  private async renew(tenant: string, url: string, key: string, local: CacheEntry | undefined, revalidate: boolean): Promise<SourceDocument> {
    const ttl = this.options.cacheTtlMs;
    const shared = ttl > 0 ? this.shared : undefined;
    const sharedKey = sharedDocumentKey(tenant, url);
    let stored = shared ? await this.sharedGet(shared, sharedKey, url) : undefined;
    const localCopy = local?.copy;
    const useLocal = (copy: CopyMeta): boolean => local !== undefined && localCopy?.sha256 === copy.sha256;

    if (stored && !revalidate && stored.validatedAtMs + ttl > this.clock.now()) {
      const document = await this.adopt(tenant, url, key, local, stored, useLocal(stored)).catch((error: unknown) => this.unusableStored(error, url));
      if (document) {
        this.documentCacheResult('hit');
        return document;
      }
      // Not revalidated either: its validators may well be right while its body is not.
      stored = undefined;
    }
    // The newest copy known: the shared one when another replica fetched or revalidated it since.
    const newest: CopyMeta | undefined = stored && (!localCopy || stored.validatedAtMs > localCopy.validatedAtMs) ? metaOf(stored) : localCopy;

    let response: HttpResponse;
    try {
      response = await fetchDocument(this.http, url, ttl > 0 ? newest : undefined, this.options);
    } catch (error) {
      if (!(error instanceof OriginFailure)) throw error;
      const copy = newest && error.unavailable && this.servable(newest) ? newest : undefined;
      if (!copy) throw error.error;
      // A stored copy that does not parse cannot stand in: the call fails as the origin made it.
      const document = await this.adopt(tenant, url, key, local, useLocal(copy) ? copy : stored, useLocal(copy), true).catch((unusable: unknown) => {
        this.unusableStored(unusable, url);
        throw error.error;
      });
      this.documentCacheResult('stale');
      this.logger?.warn('serving a stale OpenAPI document: its origin could not be reached', { url: redactUrl(url), ageMs: this.clock.now() - copy.validatedAtMs, code: error.error.code, detail: error.error.detail });
      return document;
    }

    if (response.status === 304 && newest) {
      const now = this.clock.now();
      const update = { validatedAtMs: now, etag: header(response, 'etag') ?? newest.etag, lastModified: header(response, 'last-modified') ?? newest.lastModified };
      const confirmed: CopyMeta = { ...newest, validatedAtMs: now };
      delete confirmed.etag;
      delete confirmed.lastModified;
      if (update.etag !== undefined) confirmed.etag = update.etag;
      if (update.lastModified !== undefined) confirmed.lastModified = update.lastModified;
      const reuse = useLocal(newest);
      const document = await this.adopt(tenant, url, key, local, reuse || !stored ? confirmed : { ...stored, ...confirmed }, reuse).catch((error: unknown) => this.unusableStored(error, url));
      if (document) {
        if (shared) await this.confirmShared(shared, sharedKey, key, newest.sha256, update, url);
        this.documentCacheResult('revalidated');
        return document;
      }
      // The origin confirmed a stored copy that does not parse: the document in full, then.
      response = await fetchDocument(this.http, url, undefined, this.options).catch((error: unknown) => {
        throw error instanceof OriginFailure ? error.error : error;
      });
    }
    if (response.status < 200 || response.status > 299) {
      throw documentFailed(`failed to fetch document: HTTP ${response.status}`, false, response.status);
    }
    const document = await this.fetched(tenant, url, key, response, shared ? sharedKey : undefined);
    this.documentCacheResult('miss');
    return document;
  }
  /** A document the origin sent: parsed, cached in process, and stored in the shared cache when there is one. */
  private async fetched(tenant: string, url: string, key: string, response: HttpResponse, sharedKey: string | undefined): Promise<SourceDocument> {
    const contentType = response.headers['content-type']?.[0] ?? '';
    const finalUrl = response.url || url;
    const bytes = response.body.byteLength;
    const keep = sharedKey === undefined ? undefined : this.options.maxDocumentBytes;
    const held = await this.workers.load(tenant, response.body, contentType, finalUrl, this.options.requestTimeoutMs, keep === undefined ? {} : { keep });
    const now = this.clock.now();
    const info = held.info ?? {};
    let copy: CopyMeta | undefined;
    if (info.sha256 !== undefined) {
      copy = { fetchedAtMs: now, validatedAtMs: now, sha256: info.sha256 };
      const etag = header(response, 'etag');
      const lastModified = header(response, 'last-modified');
      if (etag !== undefined) copy.etag = etag;
      if (lastModified !== undefined) copy.lastModified = lastModified;
      if (info.version !== undefined) copy.version = info.version;
      // Only the base for relative server URLs: a presigned URL's query (its signature) stays out of the copies.
      const base = withoutQuery(finalUrl);
      if (base !== url) copy.finalUrl = base;
    }
    const document = this.keep(tenant, url, key, held, info.bytes ?? bytes, copy, false, undefined, info.stored);
    if (sharedKey !== undefined && this.shared && copy && info.stored) {
      const entry: CachedDocument = { ...copy, body: info.stored };
      const stored = await this.shared.put(sharedKey, entry, this.options.cacheTtlMs + this.maxStaleMs()).catch((e: unknown) => this.sharedFailed('put', e, url));
      if (stored === false) this.logger?.debug('OpenAPI document not stored in the shared cache: too large for it', { url: redactUrl(url), bytes: info.stored.byteLength });
    }
    return document;
  }

  /**
   * The document of a copy that needs no fetch: the in-process one when `reuse` (its held document
   * stays), else the stored one, parsed again in the tenant's worker under the fetch's limits.
   */
  private async adopt(tenant: string, url: string, key: string, local: CacheEntry | undefined, copy: CopyMeta | CachedDocument | undefined, reuse: boolean, stale = false): Promise<SourceDocument> {
    if (!copy) throw documentFailed('failed to fetch document: no copy to use', true);
    const meta: CopyMeta = 'body' in copy ? metaOf(copy) : copy;
    if (reuse && local) return this.keep(tenant, url, key, local.document.held, local.bytes, meta, stale, local.document, local.stored);
    if (!('body' in copy)) throw documentFailed('failed to fetch document: no stored copy to use', true);
    // A copy goes to the worker (handed over there); the body is kept as the entry's stored form.
    const held = await this.workers.load(tenant, copy.body.slice(), 'application/json', copy.finalUrl ?? url, this.options.requestTimeoutMs, { stored: { maxBytes: this.options.maxDocumentBytes } });
    // What the stored copy says of itself is not trusted for the version: the worker reads it from the document.
    const trusted: CopyMeta = { ...meta };
    delete trusted.version;
    if (held.info?.version !== undefined) trusted.version = held.info.version;
    return this.keep(tenant, url, key, held, held.info?.bytes ?? copy.body.byteLength, trusted, stale, undefined, copy.body);
  }

  /** Caches `held` in process as the copy `copy` (replacing any earlier entry of the key) and returns its document. */
  private keep(tenant: string, url: string, key: string, held: HeldDocument, bytes: number, copy: CopyMeta | undefined, stale: boolean, existing?: SourceDocument, stored?: Uint8Array): SourceDocument {
    const now = this.clock.now();
    const ttl = this.options.cacheTtlMs;
    const validatedAtMs = copy?.validatedAtMs ?? now;
    const identity: DocumentIdentity = {};
    if (copy?.version !== undefined) identity.version = copy.version;
    if (copy?.sha256 !== undefined) identity.sha256 = copy.sha256;
    const document = existing && sameIdentity(existing.identity, identity) ? existing : new SourceDocument(this, tenant, url, held, this.options.requestTimeoutMs, identity);
    const entry: CacheEntry = {
      tenant,
      document,
      bytes,
      // Without a TTL the document is kept only until the next insert, which drops it from its worker.
      freshUntilMs: stale ? now + Math.min(ttl, STALE_RETRY_MS) : validatedAtMs + ttl,
      staleUntilMs: ttl > 0 ? validatedAtMs + ttl + this.maxStaleMs() : now,
      copy,
      stored,
    };
    if (stale) entry.staleUntilMs = Math.max(entry.staleUntilMs, entry.freshUntilMs);
    const previous = this.cache.get(key);
    // The held document stays when the entry is replaced by another copy of itself.
    if (previous && previous.document.held === held) this.cache.delete(key);
    this.cache.insert(key, entry);
    return document;
  }

  /**
   * Records the origin's `304` in the shared cache; when the entry is gone there (expired, or the
   * backend lost it) while this process has the document's stored form, the document is put back.
   */
  private async confirmShared(shared: DocumentCache, sharedKey: string, key: string, sha256: string, update: Pick<CachedDocument, 'validatedAtMs' | 'etag' | 'lastModified'>, url: string): Promise<void> {
    const entryTtl = this.options.cacheTtlMs + this.maxStaleMs();
    try {
      if ((await shared.refresh(sharedKey, sha256, update, entryTtl)) !== 'missing') return;
      const entry = this.cache.get(key);
      if (!entry?.copy || !entry.stored || entry.copy.sha256 !== sha256) return;
      await shared.put(sharedKey, { ...entry.copy, body: entry.stored }, entryTtl);
    } catch (error) {
      this.sharedFailed('refresh', error, url);
    }
  }

  private servable(copy: CopyMeta): boolean {
    return copy.validatedAtMs + this.options.cacheTtlMs + this.maxStaleMs() > this.clock.now();
  }

  private maxStaleMs(): number {
    return this.options.maxStaleMs ?? 0;
  }

  private async sharedGet(shared: DocumentCache, sharedKey: string, url: string): Promise<CachedDocument | undefined> {
    try {
      return await shared.get(sharedKey);
    } catch (error) {
      this.sharedFailed('get', error, url);
      return undefined;
    }
  }

  /** A failing shared cache costs its speed-up, never a task. */
  private sharedFailed(operation: string, error: unknown, url: string): undefined {
    this.logger?.warn('the shared OpenAPI document cache failed; going on without it', { operation, backend: this.shared?.backend, url: redactUrl(url), error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }

  /** A stored entry that does not parse (corrupt, or written by something else) is ignored, and the origin asked. */
  private unusableStored(error: unknown, url: string): undefined {
    if (!isWorkflowError(error)) throw error;
    this.logger?.warn('ignoring an unusable entry of the shared OpenAPI document cache', { backend: this.shared?.backend, url: redactUrl(url), code: error.code, detail: error.detail });
    return undefined;
  }

  private documentCacheResult(result: 'hit' | 'miss' | 'revalidated' | 'stale'): void {
    this.metrics.documentCache(result, this.options.cacheTtlMs > 0 && this.shared ? this.shared.backend : 'process');
  }
}

function sameIdentity(a: DocumentIdentity, b: DocumentIdentity): boolean {
  return a.version === b.version && a.sha256 === b.sha256;
}
