import { ContainerModule } from 'inversify';
import { OpenApiDocumentWorker } from '../../adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { bindFactory } from '../binding';
import { HttpSettings, OpenApiSettings } from '../env';
import { CLOCK, HTTP_CLIENT, METRICS, OPENAPI_DOCUMENT_SOURCE } from '../tokens';

/**
 * The thread that parses and holds OpenAPI documents: one per process, shared by every container
 * (tests build hundreds); it starts on the first document and holds no handle while idle.
 */
let documentWorker: OpenApiDocumentWorker | undefined;

/** OpenAPI documents: fetched through the HttpClient port, parsed in the document worker (oas-normalize) and cached. */
export function openApiModule(openApi: OpenApiSettings, http: Pick<HttpSettings, 'maxResponseBytes'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      OPENAPI_DOCUMENT_SOURCE,
      [HTTP_CLIENT, CLOCK, METRICS],
      (client, clock, metrics) =>
        new OasDocumentSource(client, clock, metrics, { cacheTtlMs: openApi.cacheTtlMs, requestTimeoutMs: openApi.requestTimeoutMs, maxDocumentBytes: http.maxResponseBytes }, (documentWorker ??= new OpenApiDocumentWorker())),
    );
  });
}
