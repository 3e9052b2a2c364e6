import { ContainerModule } from 'inversify';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS, OpenApiDocumentWorkers } from '../../adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { documentCacheBounds } from '../../adapters/openapi/process-document-cache';
import { bindFactory } from '../binding';
import { HttpSettings, OpenApiSettings } from '../env';
import { CLOCK, DOCUMENT_CACHE, HTTP_CLIENT, LOGGER, METRICS, OPENAPI_DOCUMENT_SOURCE } from '../tokens';

/**
 * The threads that parse and hold OpenAPI documents: one set per process (per OPENAPI_WORKERS),
 * shared by every container (tests build hundreds); threads start with a tenant's first document
 * and hold no handle while idle.
 */
const documentWorkers = new Map<number, OpenApiDocumentWorkers>();

function sharedDocumentWorkers(maxWorkers: number): OpenApiDocumentWorkers {
  let workers = documentWorkers.get(maxWorkers);
  if (!workers) documentWorkers.set(maxWorkers, (workers = new OpenApiDocumentWorkers({ ...DEFAULT_DOCUMENT_WORKER_OPTIONS, maxWorkers })));
  return workers;
}

/** What the backends' document caches are built with (see the DocumentCache adapters). */
export interface DocumentCacheSettings {
  /** Largest stored body accepted, bytes (HTTP_MAX_RESPONSE_BYTES, the document size limit). */
  maxBodyBytes: number;
  /** Longest time to live of an entry, ms: the TTL plus the max-stale. */
  entryTtlMs: number;
  /** Longest wait for the backend, ms. */
  requestTimeoutMs: number;
  /** Bytes the memory adapter holds at most. */
  memoryBytes: number;
}

/** A backend that does not answer within this is skipped for that load (a miss), ms. */
const DOCUMENT_CACHE_TIMEOUT_MS = 2_000;

export function documentCacheSettings(openApi: OpenApiSettings, http: Pick<HttpSettings, 'maxResponseBytes'>): DocumentCacheSettings {
  return {
    maxBodyBytes: http.maxResponseBytes,
    entryTtlMs: Math.max(1, openApi.cacheTtlMs + openApi.maxStaleMs),
    requestTimeoutMs: DOCUMENT_CACHE_TIMEOUT_MS,
    memoryBytes: documentCacheBounds(openApi.workers).tenantBytes,
  };
}

/**
 * OpenAPI documents: fetched through the HttpClient port, parsed in the document workers
 * (oas-normalize) and cached, in process and (OPENAPI_CACHE_SHARED) in the backend's DOCUMENT_CACHE.
 */
export function openApiModule(openApi: OpenApiSettings, http: Pick<HttpSettings, 'maxResponseBytes'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      OPENAPI_DOCUMENT_SOURCE,
      [HTTP_CLIENT, CLOCK, METRICS, DOCUMENT_CACHE, LOGGER],
      (client, clock, metrics, shared, logger) =>
        new OasDocumentSource(
          client,
          clock,
          metrics,
          { cacheTtlMs: openApi.cacheTtlMs, requestTimeoutMs: openApi.requestTimeoutMs, maxDocumentBytes: http.maxResponseBytes, bounds: documentCacheBounds(openApi.workers), maxStaleMs: openApi.maxStaleMs },
          sharedDocumentWorkers(openApi.workers),
          openApi.sharedCache ? shared : undefined,
          logger.child({ component: 'openapi-documents' }),
        ),
    );
  });
}
