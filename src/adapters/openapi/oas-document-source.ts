import { Clock } from '../../application/ports/clock.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocument, OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { OpenApiDocumentWorker, WorkerDocument } from './document-worker-client';

export interface OasDocumentSourceOptions {
  /** How long a loaded document is reused (OPENAPI_CACHE_TTL_SECONDS); 0 disables the cache. */
  cacheTtlMs: number;
  /** Deadline of one document fetch (OPENAPI_REQUEST_TIMEOUT_SECONDS). */
  requestTimeoutMs: number;
  /** Largest document accepted, in bytes. */
  maxDocumentBytes: number;
}

const ACCEPT = 'application/json, application/yaml, text/yaml, application/x-yaml, text/x-yaml';
const USER_AGENT = 'flunq-executor/1.0';

function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'OpenAPI Document Unavailable', detail, status, retryable });
}

interface CacheEntry {
  document: WorkerDocument;
  expiresAtMs: number;
}

/**
 * OpenAPI documents fetched through the HttpClient port (address policy, size cap and
 * timeout included), cached per exact URL for the TTL; concurrent loads of one URL share
 * one fetch; failures are not cached.
 */
export class OasDocumentSource implements OpenApiDocumentSource {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<WorkerDocument>>();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly options: OasDocumentSourceOptions,
    /** Parses and holds the documents off the event loop. */
    private readonly worker: OpenApiDocumentWorker,
  ) {}

  async load(url: string, signal?: AbortSignal): Promise<OpenApiDocument> {
    const cached = this.cache.get(url);
    if (cached && cached.expiresAtMs > this.clock.now() && cached.document.loaded) {
      this.metrics.openApiCache('hit');
      return cached.document;
    }
    if (cached) {
      this.cache.delete(url);
      cached.document.drop();
    }
    let pending = this.loading.get(url);
    if (pending) this.metrics.openApiCache('hit');
    else {
      this.metrics.openApiCache('miss');
      pending = this.fetchAndParse(url).then(
        (document) => {
          this.loading.delete(url);
          if (this.options.cacheTtlMs > 0) this.cache.set(url, { document, expiresAtMs: this.clock.now() + this.options.cacheTtlMs });
          return document;
        },
        (error: unknown) => {
          this.loading.delete(url);
          throw error;
        },
      );
      this.loading.set(url, pending);
    }
    return signal ? this.abortable(pending, signal) : pending;
  }

  /** Drops every cached document (tests, operations). */
  clear(): void {
    for (const entry of this.cache.values()) entry.document.drop();
    this.cache.clear();
  }

  /** Resolves once no document is being parsed or prepared: `true` if it had to wait (tests on a fake clock). */
  whenIdle(): Promise<boolean> {
    return this.worker.whenIdle();
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

  private async fetchAndParse(url: string): Promise<WorkerDocument> {
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
    const text = new TextDecoder('utf-8').decode(response.body);
    const contentType = response.headers['content-type']?.[0] ?? '';
    return this.worker.load(text, contentType, response.url || url, this.options.requestTimeoutMs);
  }
}
