import { ContainerModule } from 'inversify';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { TOKENS } from '../../application/ports/tokens';
import { OpenApiDocumentWorker } from '../../adapters/openapi/document-worker-client';
import { OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { AppConfig } from '../env';

/**
 * The thread that parses and holds OpenAPI documents: one per process, shared by every container
 * (tests build hundreds); it starts on the first document and holds no handle while idle.
 */
let documentWorker: OpenApiDocumentWorker | undefined;

/** OpenAPI documents: fetched through the HttpClient port, parsed in the document worker (oas-normalize) and cached. */
export const openApiModule = new ContainerModule(({ bind }) => {
  bind<OpenApiDocumentSource>(TOKENS.OpenApiDocumentSource).toResolvedValue(
    (http: HttpClient, clock: Clock, metrics: Metrics, config: AppConfig) =>
      new OasDocumentSource(http, clock, metrics, {
        cacheTtlMs: config.openApi.cacheTtlMs,
        requestTimeoutMs: config.openApi.requestTimeoutMs,
        maxDocumentBytes: config.http.maxResponseBytes,
      }, (documentWorker ??= new OpenApiDocumentWorker())),
    [TOKENS.HttpClient, TOKENS.Clock, TOKENS.Metrics, TOKENS.Config],
  );
});
