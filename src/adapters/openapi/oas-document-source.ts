import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { Clock } from '../../application/ports/clock.port';
import { OpenApiDocument, OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { errors } from '../../domain/workflow-error';

export interface OasDocumentSourceOptions {
  cacheTtlMs: number;
  requestTimeoutMs: number;
  maxDocumentBytes: number;
}

/** Placeholder until the OpenAPI adapter lands. */
export class OasDocumentSource implements OpenApiDocumentSource {
  constructor(
    readonly http: HttpClient,
    readonly clock: Clock,
    readonly metrics: Metrics,
    readonly options: OasDocumentSourceOptions,
  ) {}

  load(url: string): Promise<OpenApiDocument> {
    return Promise.reject(errors.configuration(`OpenAPI documents are not supported yet (${url})`));
  }
}
