export interface HttpRequest {
  /** Upper-case method. */
  method: string;
  /** Absolute http(s) URL, query included. */
  url: string;
  headers: Record<string, string>;
  /** Request body bytes or text; absent means no body is sent. */
  body?: string | Uint8Array;
  /** Deadline for the whole exchange, in ms. */
  timeoutMs: number;
  /** Follow 3xx redirects (each hop checked against the address policy). */
  followRedirects: boolean;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
  /**
   * False: send at most once, even an idempotent request after a network error, because the
   * workflow retries the whole call itself (`try`/`catch.retry`). Default true.
   */
  transportRetries?: boolean;
  /**
   * True: the request may be resent after a network error although its method is not idempotent
   * (a GraphQL query sent by POST reads only). Default: the method decides (IDEMPOTENT_METHODS).
   */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case, values as sent (several for repeated headers). */
  headers: Record<string, string[]>;
  body: Uint8Array;
  /** The URL that answered, after redirects. */
  url: string;
}

/**
 * Outbound HTTP with pooled connections.
 *
 * Any status is a response, never an error. Throws a WorkflowError when no response
 * arrived: `timeout` (TIMEOUT) after `timeoutMs`, `communication` (NETWORK) for refused or
 * reset connections, RESPONSE_TOO_LARGE, ADDRESS_DENIED, `configuration` for a URL that is not
 * absolute http(s). Network errors of idempotent methods are retried inside the adapter at most
 * twice (transport retries); nothing else is.
 */
export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Closes the pooled connections; requests still running fail. Idempotent. */
  close(): Promise<void>;
}

/**
 * RFC 9110 idempotent methods: the only ones a transport retry may resend, and the ones a call
 * needs no Idempotency-Key for.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

