import { CachedDocument, DocumentCache, RefreshResult } from '../../application/ports/document-cache.port';
import { Clock } from '../../application/ports/clock.port';

interface Stored {
  document: CachedDocument;
  expiresAtMs: number;
}

/**
 * The document cache of embedded mode: process memory, bounded by the bytes of the stored bodies
 * (the least recently used entries go first), entries expiring after their time to live by the
 * clock. It outlives no restart; it keeps documents the in-process cache of parsed documents has
 * let go, for revalidation and for serving stale ones while their origin is down.
 */
export class InMemoryDocumentCache implements DocumentCache {
  readonly backend = 'memory';
  /** In order of last use, least recent first. */
  private readonly entries = new Map<string, Stored>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    /** Most bytes of bodies held in all. */
    private readonly maxBytes: number,
  ) {}

  get(key: string): Promise<CachedDocument | undefined> {
    const stored = this.live(key);
    if (!stored) return Promise.resolve(undefined);
    this.entries.delete(key);
    this.entries.set(key, stored);
    return Promise.resolve(copy(stored.document));
  }

  put(key: string, document: CachedDocument, ttlMs: number): Promise<boolean> {
    this.remove(key);
    if (document.body.byteLength > this.maxBytes || ttlMs <= 0) return Promise.resolve(false);
    this.entries.set(key, { document: copy(document), expiresAtMs: this.clock.now() + ttlMs });
    this.bytes += document.body.byteLength;
    for (const [k, stored] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (k !== key || stored.expiresAtMs <= this.clock.now()) this.remove(k);
    }
    return Promise.resolve(true);
  }

  refresh(key: string, sha256: string, update: Pick<CachedDocument, 'validatedAtMs' | 'etag' | 'lastModified'>, ttlMs: number): Promise<RefreshResult> {
    const stored = this.live(key);
    if (!stored) return Promise.resolve('missing');
    if (stored.document.sha256 !== sha256) return Promise.resolve('other');
    const document: CachedDocument = { ...stored.document, validatedAtMs: update.validatedAtMs };
    delete document.etag;
    delete document.lastModified;
    if (update.etag !== undefined) document.etag = update.etag;
    if (update.lastModified !== undefined) document.lastModified = update.lastModified;
    this.entries.delete(key);
    this.entries.set(key, { document, expiresAtMs: this.clock.now() + ttlMs });
    return Promise.resolve('refreshed');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Entries held now and the bytes of their bodies (tests, operations). */
  size(): { documents: number; bytes: number } {
    return { documents: this.entries.size, bytes: this.bytes };
  }

  private live(key: string): Stored | undefined {
    const stored = this.entries.get(key);
    if (stored && stored.expiresAtMs <= this.clock.now()) {
      this.remove(key);
      return undefined;
    }
    return stored;
  }

  private remove(key: string): void {
    const stored = this.entries.get(key);
    if (!stored) return;
    this.entries.delete(key);
    this.bytes -= stored.document.body.byteLength;
  }
}

/** A copy, so that neither the caller nor the cache sees the other's later changes (bodies may be handed over to worker threads). */
function copy(document: CachedDocument): CachedDocument {
  return { ...document, body: document.body.slice() };
}
