import { ContainerModule } from 'inversify';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { TOKENS } from '../../application/ports/tokens';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS, OpenApiDocumentWorkers } from '../../adapters/openapi/document-worker-client';
import { documentCacheBounds, OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { AppConfig } from '../env';

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
export const openApiModule = new ContainerModule(({ bind }) => {
  bind<OpenApiDocumentSource>(TOKENS.OpenApiDocumentSource).toResolvedValue(
    (http: HttpClient, clock: Clock, metrics: Metrics, config: AppConfig) =>
      new OasDocumentSource(http, clock, metrics, {
        cacheTtlMs: config.openApiCacheTtlMs,
        requestTimeoutMs: config.openApiRequestTimeoutMs,
        maxDocumentBytes: config.httpMaxResponseBytes,
        bounds: documentCacheBounds(config.openApiWorkers),
      }, sharedDocumentWorkers(config.openApiWorkers)),
    [TOKENS.HttpClient, TOKENS.Clock, TOKENS.Metrics, TOKENS.Config],
  );
});
