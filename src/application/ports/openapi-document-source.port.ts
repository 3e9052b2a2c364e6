import { JsonObject } from '../../domain/json';

/** An OpenAPI operation turned into a concrete request (before authentication). */
export interface PreparedOperation {
  operationId: string;
  method: string;
  /** Absolute URL with path and query parameters applied. */
  url: string;
  headers: Record<string, string>;
  /** The body as text (JSON, forms, text/XML), with its `Content-Type` in `headers`. */
  body?: string;
  /**
   * A body the caller encodes, with files it may have to fetch (multipart, binary): described
   * here, its values as the task gave them. Present only when `body` is not.
   */
  content?: PreparedContent;
  /**
   * The `description` of each response the operation declares, by status key as written in the
   * document (`200`, `4XX`, `default`): what a failed call reports for the status it got.
   */
  responseDescriptions?: Record<string, string>;
  /**
   * The operation's security requirement (its own, else the document's) with the schemes it names,
   * so that a call applies it without another trip to the document; absent when it asks for nothing.
   */
  security?: OperationSecurity;
}

/**
 * One entry of the document's `components.securitySchemes`, as far as the executor applies it.
 * Documents are untrusted: nothing here is a secret, and every URL is only a claim of the document.
 */
export interface SecurityScheme {
  /** `http`, `apiKey`, `oauth2`, `openIdConnect`, `mutualTLS`, or whatever else the document writes. */
  type: string;
  /** `http`: the scheme, lower-cased (`bearer`, `basic`, `digest`, …). */
  scheme?: string;
  /** `apiKey`: the name of the header, query parameter or cookie. */
  name?: string;
  /** `apiKey`: `header`, `query` or `cookie`. */
  in?: string;
  /** `oauth2`: the flows the document declares (`clientCredentials`, `authorizationCode`, …). */
  flows?: string[];
  /** `oauth2`: the token URL of the `clientCredentials` flow, made absolute against the operation's server. */
  tokenUrl?: string;
}

/** One scheme of a security requirement, with the scopes the requirement lists for it (OAuth2). */
export interface SecurityRequirement {
  scheme: string;
  scopes: string[];
}

/** What an operation asks for, and the schemes the document defines. */
export interface OperationSecurity {
  /**
   * Alternatives in document order (any one is enough); each lists the schemes that all apply.
   * Empty: the operation asks for nothing. An empty alternative: calling without credentials is allowed.
   */
  requirements: SecurityRequirement[][];
  /** The schemes by name: every scheme of the document (`security`), or those the requirement names (a prepared request). */
  schemes: Record<string, SecurityScheme>;
  /** The operation's server URL (where its requests go), when the document gives a valid one. */
  server?: string;
}

/**
 * One part of a `multipart/form-data` body: a field (its value as text, or JSON for an object or
 * array) or a file (`value` a file: `{base64 | url, filename?, content_type?}`, or text).
 */
export interface PreparedPart {
  name: string;
  value: unknown;
  file: boolean;
  /** The part's Content-Type when the document's `encoding` (or the file itself) says. */
  contentType?: string;
}

/** A request body built from parts or bytes rather than text. */
export type PreparedContent =
  | { kind: 'multipart'; parts: PreparedPart[] }
  /** `contentType`: the media type the operation declares, unless the file names its own. */
  | { kind: 'binary'; contentType: string; value: unknown };

/** One way a request or a response breaks the document's schemas; never carries the value checked. */
export interface ValidationIssue {
  /** JSON pointer of the place: `/path/<name>`, `/query/<name>`, `/header/<name>`, `/cookie/<name>` or `/body/…`. */
  pointer: string;
  /** The schema keyword that failed (`type`, `required`, `format`, `pattern`, …). */
  rule: string;
  /** The rule in words, made of the schema only (`must be string`, `must match format "email"`). */
  message: string;
}

export interface ValidatedPreparation {
  issues: ValidationIssue[];
  prepared?: PreparedOperation;
}

/** A response as the schema check sees it: `body` is the parsed JSON (or the text when it is not JSON). */
export interface CheckedResponse {
  status: number;
  contentType: string;
  body: unknown;
}

/** Which copy of a document a call ran against (reported in the completion, checked against a task's pin). */
export interface DocumentIdentity {
  /** The document's `info.version`, when it has one. */
  version?: string;
  /** SHA-256 of the document's bytes as fetched from its origin, lower-case hex. */
  sha256?: string;
}

/** How to load a document. */
export interface DocumentLoadOptions {
  /**
   * Ask the document's origin even when the cached copy is fresh (a conditional request: a copy the
   * origin confirms is kept). For a task whose pinned version differs from the cached copy's.
   */
  revalidate?: boolean;
}

/** A loaded, dereferenced OpenAPI 3.x document (Swagger 2.0 converted); adapters may hold it off the event loop. */
export interface OpenApiDocument {
  /** Which copy this is; absent when the source cannot tell. */
  readonly identity?: DocumentIdentity;
  /** Every operationId in the document, for error messages. */
  operationIds(): string[];
  /** The names of the document's `components.securitySchemes` (pre-flight checks of `authentication.use`). */
  securitySchemeNames(): string[];
  /**
   * The security of `operationId`: the operation's own `security`, else the document's, and the
   * document's schemes (pre-flight checks; a call gets it with its prepared request). Throws as
   * `prepare` for an unknown operation, and a `configuration` WorkflowError for a document with
   * more security schemes than the executor reads.
   */
  security(operationId: string): Promise<OperationSecurity>;
  /**
   * Builds the request for `operationId` from caller parameters (keyed by parameter name;
   * `body` is the request body). Throws a `configuration` WorkflowError (OPERATION_NOT_FOUND)
   * for an unknown operation and a `validation` one (PARAMETER_MISSING) for a missing required parameter.
   */
  prepare(operationId: string, parameters: JsonObject): Promise<PreparedOperation>;
  /**
   * Checks caller parameters (as `prepare` takes them) against the operation's parameter and
   * request body schemas; no issues when they conform. Throws as `prepare` for an unknown
   * operation, a `configuration` WorkflowError when a schema cannot be compiled, and a `timeout`
   * one when the check takes longer than the document's processing limit.
   */
  validateRequest(operationId: string, parameters: JsonObject): Promise<ValidationIssue[]>;
  /**
   * `validateRequest`, then `prepare` when there are no issues, in one step (one trip to wherever
   * the document is held): `prepared` is present exactly when `issues` is empty.
   */
  prepareValidated(operationId: string, parameters: JsonObject): Promise<ValidatedPreparation>;
  /** Checks a response against the operation's declared statuses, media types and schemas (throws as validateRequest). */
  validateResponse(operationId: string, response: CheckedResponse): Promise<ValidationIssue[]>;
}

/**
 * Fetches and caches documents per tenant and URL (TTL, concurrent loads collapsed, revalidated
 * with the origin once stale, served stale for a while when the origin cannot be reached).
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
  load(tenant: string, url: string, signal?: AbortSignal, options?: DocumentLoadOptions): Promise<OpenApiDocument>;
}
