/**
 * A cache of fetched API documents shared by every replica of the executor and kept across
 * restarts: one entry per tenant and document URL, in the backend the executor already runs on
 * (Redis, the NATS key-value store, or process memory in embedded mode).
 *
 * The cache stores what it is given and hands it back; it does not interpret documents. Whoever
 * reads an entry treats it as untrusted input (the backend may be shared with other programs):
 * it is parsed under the same limits as a document fetched from its origin.
 */

/** One cached document: its stored form and what is needed to revalidate it with its origin. */
export interface CachedDocument {
  /** The document in the form its reader stored it (opaque here), at most the reader's size limit. */
  body: Uint8Array;
  /** The origin's `ETag` for the fetched document, when it sent one (sent back as `If-None-Match`). */
  etag?: string;
  /** The origin's `Last-Modified`, when it sent one (sent back as `If-Modified-Since`). */
  lastModified?: string;
  /** When the body was fetched from the origin, ms since the epoch. */
  fetchedAtMs: number;
  /** When the origin last confirmed the body (the fetch, or a later `304 Not Modified`), ms since the epoch. */
  validatedAtMs: number;
  /** SHA-256 of the bytes fetched from the origin, lower-case hex: identifies the document's content. */
  sha256: string;
  /** The document's own version (`info.version`), when it has one. */
  version?: string;
  /** The URL that answered when it differs from the one asked for (a redirect): the base of relative server URLs. */
  finalUrl?: string;
}

export type RefreshResult = 'refreshed' | 'missing' | 'other';

/**
 * A shared store of cached documents. Keys are opaque strings chosen by the caller (never a URL
 * or a tenant in clear: they may carry credentials). Every method is bounded in time by the
 * adapter and rejects with an Error when the backend cannot be reached; callers treat a failure
 * as a miss, never as a failed task.
 */
export interface DocumentCache {
  /** The backend's name for metrics and logs: `redis`, `nats` or `memory`. */
  readonly backend: string;
  /** The entry stored under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<CachedDocument | undefined>;
  /**
   * Stores `document` under `key`, replacing any entry, for `ttlMs` (> 0) from now. Idempotent.
   * An entry the backend cannot hold (too large) is not stored: resolves with false.
   */
  put(key: string, document: CachedDocument, ttlMs: number): Promise<boolean>;
  /**
   * Records a revalidation (`304 Not Modified`) of the entry under `key`: its `validatedAtMs` and
   * validators become the ones given and its time to live starts again at `ttlMs`, but only when
   * it still holds the content `sha256` (an entry replaced meanwhile by another replica is left
   * alone). Resolves with `refreshed` when the entry was updated, `missing` when there is no entry
   * under `key` (expired, or the backend lost it), `other` when it holds other content.
   */
  refresh(key: string, sha256: string, update: Pick<CachedDocument, 'validatedAtMs' | 'etag' | 'lastModified'>, ttlMs: number): Promise<RefreshResult>;
  /** Closes the backend connection, if the adapter opened one. Idempotent. */
  close(): Promise<void>;
}
