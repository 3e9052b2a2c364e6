import { IDEMPOTENT_METHODS, HttpRequest } from '../../application/ports/http-client.port';
import { isStreamedBody } from './streamed-body';

/** Settings both HttpClient adapters honour (from HTTP_* and CALL_DENY_PRIVATE_NETWORKS). */
export interface HttpClientSettings {
  /** Default for requests without `maxResponseBytes` (HTTP_MAX_RESPONSE_BYTES), in bytes. */
  maxResponseBytes: number;
  /** Refuse loopback/private/link-local/metadata addresses (CALL_DENY_PRIVATE_NETWORKS). */
  denyPrivateNetworks: boolean;
  /** Transport retries for network errors of idempotent methods (capped at MAX_TRANSPORT_RETRIES). */
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

/** A request is resent at most twice by the transport, whatever the settings say. */
export const MAX_TRANSPORT_RETRIES = 2;

/**
 * How many times the transport may resend `request` after a network error without a response:
 * none for a non-idempotent method (a POST is never sent twice, unless the request says it only
 * reads: `idempotent: true`), when the workflow retries the
 * call itself (`transportRetries: false`) or for a streamed body (read once), else the setting,
 * capped at MAX_TRANSPORT_RETRIES.
 */
export function transportRetriesFor(request: Pick<HttpRequest, 'method' | 'transportRetries' | 'idempotent' | 'body'>, settings: HttpClientSettings): number {
  if (isStreamedBody(request.body)) return 0;
  if (request.transportRetries === false || !(request.idempotent ?? IDEMPOTENT_METHODS.has(request.method.toUpperCase()))) return 0;
  return Math.max(0, Math.min(MAX_TRANSPORT_RETRIES, settings.transportRetries));
}

/**
 * The pause before transport retry number `retry` (1 for the first), in ms: `2^retry × retryDelayMs`
 * plus up to 20 % jitter, so that replicas retrying the same outage spread out.
 */
export function transportRetryDelayMs(retry: number, settings: HttpClientSettings, random: () => number = Math.random): number {
  const delay = 2 ** retry * settings.retryDelayMs;
  return delay + delay * 0.2 * random();
}

/** The request's deadline in whole ms, at least 1. */
export function timeoutOf(request: HttpRequest): number {
  return Math.max(1, Math.floor(request.timeoutMs));
}

/** The largest response body accepted for `request`, in bytes (after decompression). */
export function responseLimitOf(request: HttpRequest, settings: HttpClientSettings): number {
  return request.maxResponseBytes ?? settings.maxResponseBytes;
}
