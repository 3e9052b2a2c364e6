import { errors } from '../../domain/workflow-error';

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
 * reset connections, RESPONSE_TOO_LARGE, ADDRESS_DENIED. Network errors of idempotent
 * methods are retried inside the adapter at most twice (transport retries); nothing else is.
 */
export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** Settings every HttpClient adapter honours (from HTTP_* and CALL_DENY_PRIVATE_NETWORKS). */
export interface HttpClientSettings {
  /** Default for requests without `maxResponseBytes` (HTTP_MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  /** Refuse loopback/private/link-local/metadata addresses (CALL_DENY_PRIVATE_NETWORKS). */
  denyPrivateNetworks: boolean;
  /** Transport retries for network errors of idempotent methods (at most 2). */
  transportRetries: number;
  /** Base of the exponential transport-retry delay, in ms. */
  retryDelayMs: number;
  /** Pooled sockets per host. */
  maxSocketsPerHost: number;
  maxRedirects: number;
}

export const DEFAULT_HTTP_CLIENT_SETTINGS: HttpClientSettings = {
  maxResponseBytes: 10 * 1024 * 1024,
  denyPrivateNetworks: false,
  transportRetries: 2,
  retryDelayMs: 100,
  maxSocketsPerHost: 64,
  maxRedirects: 10,
};

/** Methods a transport retry may resend (RFC 9110 idempotent methods). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The request URL, which must be absolute http(s); anything else is a `configuration` error. */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw errors.configuration(`invalid URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.configuration(`unsupported URL scheme: ${url.protocol}`);
  return url;
}
