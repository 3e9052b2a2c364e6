import { ContainerModule } from 'inversify';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS, OpenApiDocumentWorkers } from '../../adapters/openapi/document-worker-client';
import { documentCacheBounds, OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { bindFactory } from '../binding';
import { HttpSettings, OpenApiSettings } from '../env';
import { CLOCK, HTTP_CLIENT, METRICS, OPENAPI_DOCUMENT_SOURCE } from '../tokens';

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

/** OpenAPI documents: fetched through the HttpClient port, parsed in the document workers (oas-normalize) and cached. */
export function openApiModule(openApi: OpenApiSettings, http: Pick<HttpSettings, 'maxResponseBytes'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      OPENAPI_DOCUMENT_SOURCE,
      [HTTP_CLIENT, CLOCK, METRICS],
      (client, clock, metrics) =>
        new OasDocumentSource(
          client,
          clock,
          metrics,
          { cacheTtlMs: openApi.cacheTtlMs, requestTimeoutMs: openApi.requestTimeoutMs, maxDocumentBytes: http.maxResponseBytes, bounds: documentCacheBounds(openApi.workers) },
          sharedDocumentWorkers(openApi.workers),
        ),
    );
  });
}
