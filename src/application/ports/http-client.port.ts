export interface HttpRequest {
  /** Upper-case method. */
  method: string;
  /** Absolute http(s) URL, query included. */
  url: string;
  headers: Record<string, string>;
  /**
   * Request body bytes or text; absent means no body is sent. An async iterable is a streamed
   * body, produced while it is sent and read once: it is never resent (no transport retries;
   * a 307/308 redirect, which would need it again, fails with NETWORK), and sent chunked unless
   * the headers give its `Content-Length`. An error it throws ends the exchange with that error.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Deadline for the whole exchange, in ms. */
  timeoutMs: number;
  /**
   * Follow 3xx redirects (each hop checked against the address policy). A hop to another origin
   * (scheme, host and port) drops `Authorization`, `Cookie` and the `sensitiveHeaders`.
   */
  followRedirects: boolean;
  /**
   * Header names (any case) that carry the call's credentials, such as an API key's header: never
   * sent to an origin other than the request's own when a redirect leads there.
   */
  sensitiveHeaders?: readonly string[];
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
  /**
   * True: `send` resolves as soon as the status and headers arrived, and the body is read from
   * `HttpResponse.chunks` (`body` is then empty). The deadline and `maxResponseBytes` still apply
   * while it is read (a declared `Content-Length` above the limit fails before `send` resolves).
   * Unless the request says otherwise it asks for an unencoded body (`Accept-Encoding: identity`).
   */
  bodyInChunks?: boolean;
}

/**
 * A response body read as it arrives (`bodyInChunks`): iterated once, in chunks after any
 * `Content-Encoding` is undone. Iteration throws RESPONSE_TOO_LARGE past the request's limit,
 * TIMEOUT when its deadline passes, CANCELLED (or the signal's WorkflowError) when its signal
 * aborts, and NETWORK when the connection breaks. The connection is freed when the iteration ends,
 * when `cancel` is called, or at the latest when the request's deadline passes.
 */
export interface HttpBodyChunks extends AsyncIterable<Uint8Array> {
  /** Stops reading and frees the connection; idempotent, and harmless after the end. */
  cancel(): void;
  /** The body's length in bytes when the server declared it and no encoding changes it. */
  readonly length: number | undefined;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case, values as sent (several for repeated headers). */
  headers: Record<string, string[]>;
  body: Uint8Array;
  /** With `bodyInChunks`: the body, to read (or cancel); an adapter may leave it out and give `body`. */
  chunks?: HttpBodyChunks;
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

