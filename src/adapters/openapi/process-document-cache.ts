import { Clock } from '../../application/ports/clock.port';
import { CachedDocument } from '../../application/ports/document-cache.port';
import { DEFAULT_DOCUMENT_WORKER_OPTIONS } from './document-worker-client';
import { SourceDocument } from './held-document';

/** How much the cache keeps: counts of documents and bytes of their fetched text, per tenant and in all. */
export interface DocumentCacheBounds {
  tenantDocuments: number;
  tenantBytes: number;
  documents: number;
  bytes: number;
}

/** Documents one tenant keeps: plenty for the APIs one workflow calls, few enough to scan on every insert. */
const TENANT_DOCUMENTS = 32;
/**
 * Held documents take up to about nine times their text in the worker's heap (YAML; JSON about
 * two), so a sixteenth of the heap limit in text leaves room to parse one more.
 */
const HEAP_PER_TEXT_BYTE = 16;

/**
 * The cache bounds for `workers` document workers of `workerMemoryMb` each: per tenant, 32
 * documents and a sixteenth of a worker's heap limit in fetched text (64 MiB for 1024 MB); in all,
 * `workers` times as much.
 */
export function documentCacheBounds(workers: number, workerMemoryMb = DEFAULT_DOCUMENT_WORKER_OPTIONS.maxMemoryMb): DocumentCacheBounds {
  const tenantBytes = Math.floor((workerMemoryMb * 1024 * 1024) / HEAP_PER_TEXT_BYTE);
  return { tenantDocuments: TENANT_DOCUMENTS, tenantBytes, documents: TENANT_DOCUMENTS * workers, bytes: tenantBytes * workers };
}

/** What is known of a copy of a document: enough to revalidate it and to tell which it is. */
export type CopyMeta = Omit<CachedDocument, 'body'>;

export interface CacheEntry {
  tenant: string;
  document: SourceDocument;
  bytes: number;
  /** Used without asking the origin until then. */
  freshUntilMs: number;
  /** May be served while the origin cannot be reached until then; evicted after. */
  staleUntilMs: number;
  /** Undefined when the workers gave no hash (then it is never revalidated nor shared). */
  copy: CopyMeta | undefined;
  /** The document's stored form (a few per cent of its text), to put it back into a shared cache that lost it. */
  stored: Uint8Array | undefined;
}

/** A copy for the in-process cache: its metadata without the body. */
export function metaOf(document: CachedDocument): CopyMeta {
  const { body: _body, ...meta } = document;
  return meta;
}

/**
 * The documents this process holds, per tenant and URL, in order of last use (least recent
 * first), bounded by count and by bytes of fetched text, per tenant and in all. Each insert first
 * evicts expired documents and those whose worker was stopped, then the least recently used
 * beyond the bounds; evicted documents are dropped from their worker.
 */
export class ProcessDocumentCache {
  /** In order of last use, least recent first. */
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly bounds: DocumentCacheBounds,
    /** Deadline of dropping a document from its worker. */
    private readonly dropTimeoutMs: number,
  ) {}

  get(key: string): CacheEntry | undefined {
    return this.cache.get(key);
  }

  /** Marks the entry as the most recently used. */
  touch(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
  }

  /** Forgets the entry without dropping its document from its worker (it stays held by the entry replacing it). */
  delete(key: string): void {
    this.cache.delete(key);
  }

  /** Drops every cached document. */
  clear(): void {
    for (const entry of this.cache.values()) entry.document.held.drop(this.dropTimeoutMs);
    this.cache.clear();
  }

  /** Documents cached now, with the bytes of their text. */
  size(): { documents: number; bytes: number } {
    let bytes = 0;
    for (const entry of this.cache.values()) bytes += entry.bytes;
    return { documents: this.cache.size, bytes };
  }

  /** Caches `entry` as the most recently used, evicting what it replaces and what no longer fits. */
  insert(key: string, entry: CacheEntry): void {
    const now = this.clock.now();
    for (const [k, e] of this.cache) if (e.staleUntilMs <= now || !e.document.held.loaded) this.evict(k, e);
    const previous = this.cache.get(key);
    if (previous) this.evict(key, previous);
    this.cache.set(key, entry);
    const { bounds } = this;
    this.evictBeyond(bounds.tenantDocuments, bounds.tenantBytes, entry, (e) => e.tenant === entry.tenant);
    this.evictBeyond(bounds.documents, bounds.bytes, entry, () => true);
  }

  /** Evicts the least recently used of the entries `included` picks, never `keep`, until they fit the bounds. */
  private evictBeyond(maxDocuments: number, maxBytes: number, keep: CacheEntry, included: (entry: CacheEntry) => boolean): void {
    let documents = 0;
    let bytes = 0;
    for (const e of this.cache.values()) {
      if (!included(e)) continue;
      documents++;
      bytes += e.bytes;
    }
    for (const [k, e] of this.cache) {
      if (documents <= maxDocuments && bytes <= maxBytes) return;
      if (e === keep || !included(e)) continue;
      this.evict(k, e);
      documents--;
      bytes -= e.bytes;
    }
  }

  evict(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    entry.document.held.drop(this.dropTimeoutMs);
  }
}
