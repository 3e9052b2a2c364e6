import { Clock } from '../../application/ports/clock.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { CheckedResponse, OpenApiDocument, OpenApiDocumentSource, OperationSecurity, PreparedOperation, ValidatedPreparation, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';
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
  /** Largest document accepted, in bytes. */
  maxDocumentBytes: number;
  bounds: DocumentCacheBounds;
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
}

/** Where documents are parsed and held: one place per tenant. */
export interface DocumentWorkers {
  /** Parses and holds the fetched bytes of a document; `body` may be handed over (unusable afterwards). */
  load(tenant: string, body: Uint8Array, contentType: string, url: string, timeoutMs: number): Promise<HeldDocument>;
  whenIdle(): Promise<boolean>;
}

const ACCEPT = 'application/json, application/yaml, text/yaml, application/x-yaml, text/x-yaml';
const USER_AGENT = 'flunq-executor/1.0';

function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'OpenAPI Document Unavailable', detail, status, retryable });
}

interface CacheEntry {
  tenant: string;
  document: SourceDocument;
  bytes: number;
  expiresAtMs: number;
}

/**
 * OpenAPI documents fetched through the HttpClient port (address policy, size cap and timeout
 * included), cached per tenant and exact URL for the TTL (a document fetched for one tenant is
 * never handed to another: their credentials or networks may differ); concurrent loads of one
 * URL by one tenant share one fetch; failures are not cached.
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
  ) {}

  load(tenant: string, url: string, signal?: AbortSignal): Promise<OpenApiDocument> {
    const pending = this.obtain(tenant, url);
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

  /** @internal The tenant's document, from the cache or loaded again. */
  obtain(tenant: string, url: string): Promise<SourceDocument> {
    const key = `${tenant}\u0000${url}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAtMs > this.clock.now() && cached.document.held.loaded) {
      this.metrics.openApiCache('hit');
      this.cache.delete(key);
      this.cache.set(key, cached);
      return Promise.resolve(cached.document);
    }
    if (cached) this.evict(key, cached);
    let pending = this.loading.get(key);
    if (pending) {
      this.metrics.openApiCache('hit');
      return pending;
    }
    this.metrics.openApiCache('miss');
    pending = this.fetchAndParse(tenant, url).then(
      ({ held, bytes }) => {
        this.loading.delete(key);
        const document = new SourceDocument(this, tenant, url, held, this.options.requestTimeoutMs);
        // Without a TTL the document is kept only until the next insert, which drops it from its worker.
        this.insert(key, { tenant, document, bytes, expiresAtMs: this.clock.now() + this.options.cacheTtlMs });
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

  private insert(key: string, entry: CacheEntry): void {
    const now = this.clock.now();
    for (const [k, e] of this.cache) if (e.expiresAtMs <= now || !e.document.held.loaded) this.evict(k, e);
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

  /** Fetches and parses a document once fewer than TENANT_LOADS of the tenant's are in progress. */
  private async fetchAndParse(tenant: string, url: string): Promise<{ held: HeldDocument; bytes: number }> {
    let turn = this.turns.get(tenant);
    if (!turn) this.turns.set(tenant, (turn = { running: 0, waiting: [] }));
    if (turn.running >= TENANT_LOADS) await new Promise<void>((resolve) => turn.waiting.push(resolve));
    else turn.running++;
    try {
      return await this.fetchAndParseNow(tenant, url);
    } finally {
      const next = turn.waiting.shift();
      if (next) next();
      else if (--turn.running === 0) this.turns.delete(tenant);
    }
  }

  private async fetchAndParseNow(tenant: string, url: string): Promise<{ held: HeldDocument; bytes: number }> {
    let response: HttpResponse;
    try {
      response = await this.http.send({
        method: 'GET',
        url,
        headers: { Accept: ACCEPT, 'User-Agent': USER_AGENT },
        timeoutMs: this.options.requestTimeoutMs,
        followRedirects: true,
        maxResponseBytes: this.options.maxDocumentBytes,
      });
    } catch (error) {
      if (isWorkflowError(error)) throw error;
      throw documentFailed(`failed to fetch document: ${(error as Error).message}`, true);
    }
    if (response.status < 200 || response.status > 299) {
      throw documentFailed(`failed to fetch document: HTTP ${response.status}`, response.status >= 500 || response.status === 429, response.status >= 500 ? 502 : response.status);
    }
    const contentType = response.headers['content-type']?.[0] ?? '';
    const bytes = response.body.byteLength;
    const held = await this.workers.load(tenant, response.body, contentType, response.url || url, this.options.requestTimeoutMs);
    return { held, bytes };
  }
}

/** A cached document as calls see it: when it is gone from its worker by the time a call prepares its request, it is loaded again once. */
class SourceDocument implements OpenApiDocument {
  constructor(
    private readonly source: OasDocumentSource,
    private readonly tenant: string,
    private readonly url: string,
    readonly held: HeldDocument,
    private readonly timeoutMs: number,
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
