import { ContainerModule } from 'inversify';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { TOKENS } from '../../application/ports/tokens';
import { OasDocumentSource } from '../../adapters/openapi/oas-document-source';
import { AppConfig } from '../env';

/** OpenAPI documents: fetched through the HttpClient port, parsed and cached (oas, oas-normalize). */
export const openApiModule = new ContainerModule(({ bind }) => {
  bind<OpenApiDocumentSource>(TOKENS.OpenApiDocumentSource).toResolvedValue(
    (http: HttpClient, clock: Clock, metrics: Metrics, config: AppConfig) =>
      new OasDocumentSource(http, clock, metrics, {
        cacheTtlMs: config.openApiCacheTtlMs,
        requestTimeoutMs: config.openApiRequestTimeoutMs,
        maxDocumentBytes: config.httpMaxResponseBytes,
      }),
    [TOKENS.HttpClient, TOKENS.Clock, TOKENS.Metrics, TOKENS.Config],
  );
});
