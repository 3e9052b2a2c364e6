import { JsonObject } from '../../domain/json';

/** An OpenAPI operation turned into a concrete request (before authentication). */
export interface PreparedOperation {
  operationId: string;
  method: string;
  /** Absolute URL with path and query parameters applied. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A loaded, dereferenced OpenAPI 3.x document (Swagger 2.0 converted); adapters may hold it off the event loop. */
export interface OpenApiDocument {
  /** Every operationId in the document, for error messages. */
  operationIds(): string[];
  /**
   * Builds the request for `operationId` from caller parameters (keyed by parameter name;
   * `body` is the request body). Throws a `configuration` WorkflowError (OPERATION_NOT_FOUND)
   * for an unknown operation and a `validation` one (PARAMETER_MISSING) for a missing required parameter.
   */
  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation>;
}

/**
 * Fetches and caches documents per tenant and URL (TTL, concurrent loads collapsed).
 */
export interface OpenApiDocumentSource {
  /**
   * The document at `url` as fetched for `tenant`: a document fetched for one tenant is never
   * handed to another, and one tenant's documents never delay another's. `signal` stops the
   * caller's wait (a load shared with other callers goes on). Throws a `communication`
   * WorkflowError (DOCUMENT_FAILED) when the document cannot be fetched, a `configuration` one
   * when it is not a valid OpenAPI document, and a `timeout` one when it takes longer than the
   * configured limit to fetch or to process.
   */
  load(tenant: string, url: string, signal?: AbortSignal): Promise<OpenApiDocument>;
}
