import { createHash } from 'node:crypto';
import { Clock } from '../../application/ports/clock.port';
import { CachedDocument, DocumentCache } from '../../application/ports/document-cache.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { CheckedResponse, DocumentIdentity, DocumentLoadOptions, OpenApiDocument, OpenApiDocumentSource, OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { redactUrl } from '../../domain/redaction';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { LoadedInfo, LoadForm } from './document-worker';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS, DocumentUnloadedError } from './document-worker-client';

/** How much the cache keeps: counts of documents and bytes of their fetched text, per tenant and in all. */
export interface DocumentCacheBounds {
  tenantDocuments: number;
  tenantBytes: number;
  documents: number;
  bytes: number;
}

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
 * Loads of one tenant in progress at once (fetching or parsing): its worker parses one document at
 * a time, so one more being fetched meanwhile keeps it busy, while the rest wait here, not as
 * megabytes in memory nor as work for the event loop that every tenant shares.
 */
const TENANT_LOADS = 2;

/** Documents one tenant keeps: plenty for the APIs one workflow calls, few enough to scan on every insert. */
const TENANT_DOCUMENTS = 32;
/**
 * Held documents take up to about nine times their text in the worker's heap (YAML; JSON about
 * two), so a sixteenth of the heap limit in text leaves room to parse one more.
 */
const HEAP_PER_TEXT_BYTE = 16;

/**
 * The cache bounds for `workers` document workers of `workerMemoryMb` each: per tenant, 32
 * documents and a sixteenth of a worker's heap limit in fetched text (64 MiB for 1024 MB); in all,
 * `workers` times as much.
 */
export function documentCacheBounds(workers: number, workerMemoryMb = DEFAULT_DOCUMENT_WORKER_OPTIONS.maxMemoryMb): DocumentCacheBounds {
  const tenantBytes = Math.floor((workerMemoryMb * 1024 * 1024) / HEAP_PER_TEXT_BYTE);
  return { tenantDocuments: TENANT_DOCUMENTS, tenantBytes, documents: TENANT_DOCUMENTS * workers, bytes: tenantBytes * workers };
}

/** A document held off the event loop (see OpenApiDocumentWorkers). */
export interface HeldDocument {
  /** False once the document is gone from its worker. */
  readonly loaded: boolean;
  operationIds(): string[];
  securitySchemeNames(): string[];
  /** Throws DocumentUnloadedError when the document is no longer held. */
  prepare(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<PreparedOperation>;
  validateRequest(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidationIssue[]>;
  prepareValidated(operationId: string, parameters: JsonObject, timeoutMs: number): Promise<ValidatedPreparation>;
  validateResponse(operationId: string, response: CheckedResponse, timeoutMs: number): Promise<ValidationIssue[]>;
  security(operationId: string, timeoutMs: number): Promise<OperationSecurity>;
  drop(timeoutMs: number): void;
  /** The document's version, the hash of the fetched bytes and its stored form, as the load gave them. */
  readonly info?: LoadedInfo;
}

/** Where documents are parsed and held: one place per tenant. */
export interface DocumentWorkers {
  /**
   * Parses and holds the fetched bytes of a document, or with `form.stored` its stored form from
   * the shared cache, under the same limits; `body` may be handed over (unusable afterwards).
   */
  load(tenant: string, body: Uint8Array, contentType: string, url: string, timeoutMs: number, form?: LoadForm): Promise<HeldDocument>;
  whenIdle(): Promise<boolean>;
}

const ACCEPT = 'application/json, application/yaml, text/yaml, application/x-yaml, text/x-yaml';
const USER_AGENT = 'flunq-executor/1.0';

function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'OpenAPI Document Unavailable', detail, status, retryable });
}

/** What is known of a copy of a document: enough to revalidate it and to tell which it is. */
type CopyMeta = Omit<CachedDocument, 'body'>;

interface CacheEntry {
  tenant: string;
  document: SourceDocument;
  bytes: number;
  /** Used without asking the origin until then. */
  freshUntilMs: number;
  /** May be served while the origin cannot be reached until then; evicted after. */
  staleUntilMs: number;
  /** Undefined when the workers gave no hash (then it is never revalidated nor shared). */
  copy: CopyMeta | undefined;
  /** The document's stored form (a few per cent of its text), to put it back into a shared cache that lost it. */
  stored: Uint8Array | undefined;
}

/** Why the origin gave no usable answer, and whether a stale copy may stand in for it. */
class OriginFailure extends Error {
  constructor(
    readonly error: WorkflowError,
    /** The origin is down or overloaded (network error, timeout, 5xx, 429), rather than refusing the document. */
    readonly unavailable: boolean,
  ) {
    super(error.detail);
  }
}

function header(response: HttpResponse, name: string): string | undefined {
  return response.headers[name]?.[0];
}

/** A copy for the in-process cache: its metadata without the body. */
function metaOf(document: CachedDocument): CopyMeta {
  const { body: _body, ...meta } = document;
  return meta;
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
 * The cache is bounded by count and by bytes of fetched text, per tenant and in all; each insert
 * first evicts expired documents and those whose worker was stopped, then the least recently used
 * beyond the bounds. Evicted documents are dropped from their worker. A document evicted while a
 * call holds it is loaded again when that call prepares its request.
 */
export class OasDocumentSource implements OpenApiDocumentSource {
  /** In order of last use, least recent first. */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<SourceDocument>>();
  /** Per tenant: loads in progress, and the starts of those waiting for a turn. */
  private readonly turns = new Map<string, { running: number; waiting: (() => void)[] }>();

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
  ) {}

  load(tenant: string, url: string, signal?: AbortSignal, options: DocumentLoadOptions = {}): Promise<OpenApiDocument> {
    const pending = this.obtain(tenant, url, options.revalidate === true);
    return signal ? this.abortable(pending, signal) : pending;
  }

  /** Drops every cached document (tests, operations). */
  clear(): void {
    for (const entry of this.cache.values()) entry.document.held.drop(this.options.requestTimeoutMs);
    this.cache.clear();
  }

  /** Documents cached now, with the bytes of their text (tests, operations). */
  size(): { documents: number; bytes: number } {
    let bytes = 0;
    for (const entry of this.cache.values()) bytes += entry.bytes;
    return { documents: this.cache.size, bytes };
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
      this.cache.delete(key);
      this.cache.set(key, cached);
      return Promise.resolve(cached.document);
    }
    // A copy gone from its worker is of no use; an expired one is kept to be revalidated, or served stale.
    if (cached && !cached.document.held.loaded) this.evict(key, cached);
    let pending = this.loading.get(key);
    if (pending) {
      this.metrics.openApiCache('hit');
      return pending;
    }
    this.metrics.openApiCache('miss');
    const local = cached?.document.held.loaded ? cached : undefined;
    pending = this.inTurn(tenant, () => this.renew(tenant, url, key, local, revalidate)).then(
      (document) => {
        this.loading.delete(key);
        return document;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, pending);
    return pending;
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
      response = await this.fetch(url, ttl > 0 ? newest : undefined);
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
      response = await this.fetch(url, undefined).catch((error: unknown) => {
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

  /** GET of the document, conditional on `copy`'s validators when there is one. Throws OriginFailure when no usable answer came. */
  private async fetch(url: string, copy: CopyMeta | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: ACCEPT, 'User-Agent': USER_AGENT };
    if (copy?.etag !== undefined) headers['If-None-Match'] = copy.etag;
    if (copy?.lastModified !== undefined) headers['If-Modified-Since'] = copy.lastModified;
    let response: HttpResponse;
    try {
      response = await this.http.send({ method: 'GET', url, headers, timeoutMs: this.options.requestTimeoutMs, followRedirects: true, maxResponseBytes: this.options.maxDocumentBytes });
    } catch (error) {
      if (isWorkflowError(error)) throw new OriginFailure(error, error.kind === 'timeout' || error.code === 'NETWORK');
      throw new OriginFailure(documentFailed(`failed to fetch document: ${(error as Error).message}`, true), true);
    }
    const { status } = response;
    if (status >= 500 || status === 429) throw new OriginFailure(documentFailed(`failed to fetch document: HTTP ${status}`, true, status >= 500 ? 502 : status), true);
    if (status === 304 && !copy) throw new OriginFailure(documentFailed('failed to fetch document: HTTP 304 to a request that had no copy to revalidate', false), false);
    return response;
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
    this.insert(key, entry);
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

  private insert(key: string, entry: CacheEntry): void {
    const now = this.clock.now();
    for (const [k, e] of this.cache) if (e.staleUntilMs <= now || !e.document.held.loaded) this.evict(k, e);
    const previous = this.cache.get(key);
    if (previous) this.evict(key, previous);
    this.cache.set(key, entry);
    const { bounds } = this.options;
    this.evictBeyond(bounds.tenantDocuments, bounds.tenantBytes, entry, (e) => e.tenant === entry.tenant);
    this.evictBeyond(bounds.documents, bounds.bytes, entry, () => true);
  }

  /** Evicts the least recently used of the entries `included` picks, never `keep`, until they fit the bounds. */
  private evictBeyond(maxDocuments: number, maxBytes: number, keep: CacheEntry, included: (entry: CacheEntry) => boolean): void {
    let documents = 0;
    let bytes = 0;
    for (const e of this.cache.values()) {
      if (!included(e)) continue;
      documents++;
      bytes += e.bytes;
    }
    for (const [k, e] of this.cache) {
      if (documents <= maxDocuments && bytes <= maxBytes) return;
      if (e === keep || !included(e)) continue;
      this.evict(k, e);
      documents--;
      bytes -= e.bytes;
    }
  }

  private evict(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    entry.document.held.drop(this.options.requestTimeoutMs);
  }

  private abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Runs `work` (fetching and parsing) once fewer than TENANT_LOADS of the tenant's loads are in progress. */
  private async inTurn<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    let turn = this.turns.get(tenant);
    if (!turn) this.turns.set(tenant, (turn = { running: 0, waiting: [] }));
    if (turn.running >= TENANT_LOADS) await new Promise<void>((resolve) => turn.waiting.push(resolve));
    else turn.running++;
    try {
      return await work();
    } finally {
      const next = turn.waiting.shift();
      if (next) next();
      else if (--turn.running === 0) this.turns.delete(tenant);
    }
  }
}

function sameIdentity(a: DocumentIdentity, b: DocumentIdentity): boolean {
  return a.version === b.version && a.sha256 === b.sha256;
}

/** A cached document as calls see it: when it is gone from its worker by the time a call prepares its request, it is loaded again once. */
class SourceDocument implements OpenApiDocument {
  constructor(
    private readonly source: OasDocumentSource,
    private readonly tenant: string,
    private readonly url: string,
    readonly held: HeldDocument,
    private readonly timeoutMs: number,
    readonly identity: DocumentIdentity = {},
  ) {}

  operationIds(): string[] {
    return this.held.operationIds();
  }

  securitySchemeNames(): string[] {
    return this.held.securitySchemeNames();
  }

  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation> {
    return this.withHeld((held) => held.prepare(operationId, parameters, this.timeoutMs));
  }

  validateRequest(operationId: string, parameters: JsonObject): Promise<ValidationIssue[]> {
    return this.withHeld((held) => held.validateRequest(operationId, parameters, this.timeoutMs));
  }

  prepareValidated(operationId: string, parameters: JsonObject): Promise<ValidatedPreparation> {
    return this.withHeld((held) => held.prepareValidated(operationId, parameters, this.timeoutMs));
  }

  validateResponse(operationId: string, response: CheckedResponse): Promise<ValidationIssue[]> {
    return this.withHeld((held) => held.validateResponse(operationId, response, this.timeoutMs));
  }

  security(operationId: string): Promise<OperationSecurity> {
    return this.withHeld((held) => held.security(operationId, this.timeoutMs));
  }

  /** Runs `use` on the held document, loading the document again once when it is gone from its worker. */
  private async withHeld<T>(use: (held: HeldDocument) => Promise<T>): Promise<T> {
    try {
      return await use(this.held);
    } catch (error) {
      if (!(error instanceof DocumentUnloadedError)) throw error;
    }
    const again = await this.source.obtain(this.tenant, this.url);
    return use(again.held);
  }
}

/** `url` without its query and fragment. */
function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return url;
  }
}
