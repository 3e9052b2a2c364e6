/**
 * What every DocumentCache adapter must do: hand back exactly what was stored, per key, until its
 * time to live runs out; refresh an entry only while it holds the same content; refuse bodies
 * above its limit; and treat an entry it did not write (corrupt, foreign) as absent.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CachedDocument, DocumentCache } from '../../src/application/ports/document-cache.port';

export interface DocumentCacheHarness {
  readonly cache: DocumentCache;
  /** The adapter's body limit, bytes. */
  readonly maxBodyBytes: number;
  /** A key no other test uses. */
  newKey(): string;
  /** Lets `ms` pass for the entry under `key` (the fake clock, or its remaining time to live shortened). */
  elapse(key: string, ms: number): Promise<void>;
  /** Overwrites the entry under `key` with bytes the adapter never writes (adapters holding bytes). */
  corrupt?(key: string): Promise<void>;
  close(): Promise<void>;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function document(text: string, extra: Partial<CachedDocument> = {}): CachedDocument {
  // Every byte value, so that a backend mangling binary data is caught.
  const body = new Uint8Array(256 + text.length);
  for (let i = 0; i < 256; i++) body[i] = i;
  body.set(new TextEncoder().encode(text), 256);
  return { body, etag: '"v1"', lastModified: 'Wed, 21 Oct 2026 07:28:00 GMT', fetchedAtMs: 1_000, validatedAtMs: 2_000, sha256: sha(text), version: '1.2.0', ...extra };
}

/** `holdsBytes`: the backend keeps serialized entries that something else could overwrite (not process memory). */
export function describeDocumentCacheContract(name: string, makeHarness: () => Promise<DocumentCacheHarness>, { holdsBytes }: { holdsBytes: boolean }): void {
  describe(`DocumentCache contract: ${name}`, () => {
    let h: DocumentCacheHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('has nothing under a key never written', async () => {
      assert.equal(await h.cache.get(h.newKey()), undefined);
    });

    it('hands back exactly what was stored: body bytes, validators, times, hash and version', async () => {
      const key = h.newKey();
      const stored = document('one', { finalUrl: 'https://docs.test/v2/openapi.json' });
      assert.equal(await h.cache.put(key, stored, 60_000), true);
      assert.deepEqual(await h.cache.get(key), stored);
    });

    it('stores an entry without the optional fields as such', async () => {
      const key = h.newKey();
      const stored: CachedDocument = { body: new Uint8Array([1, 2, 3]), fetchedAtMs: 5, validatedAtMs: 5, sha256: sha('bare') };
      await h.cache.put(key, stored, 60_000);
      assert.deepEqual(await h.cache.get(key), stored);
    });

    it('keeps keys apart and replaces an entry stored again under the same key', async () => {
      const [a, b] = [h.newKey(), h.newKey()];
      await h.cache.put(a, document('a'), 60_000);
      await h.cache.put(b, document('b'), 60_000);
      await h.cache.put(a, document('a2', { version: '2.0.0', etag: undefined }), 60_000);
      const got = await h.cache.get(a);
      assert.equal(got?.sha256, sha('a2'));
      assert.equal(got?.version, '2.0.0');
      assert.equal(got?.etag, undefined);
      assert.equal((await h.cache.get(b))?.sha256, sha('b'));
    });

    it('forgets an entry once its time to live has passed', async () => {
      const key = h.newKey();
      await h.cache.put(key, document('one'), 1_000);
      await h.elapse(key, 600);
      assert.ok(await h.cache.get(key));
      await h.elapse(key, 500);
      assert.equal(await h.cache.get(key), undefined);
    });

    it('refresh records a revalidation of the same content and starts its time to live again', async () => {
      const key = h.newKey();
      const stored = document('one');
      await h.cache.put(key, stored, 1_000);
      await h.elapse(key, 600);
      assert.equal(await h.cache.refresh(key, stored.sha256, { validatedAtMs: 9_000, etag: '"v1b"' }, 1_000), 'refreshed');
      await h.elapse(key, 600);
      const expected: CachedDocument = { ...stored, validatedAtMs: 9_000, etag: '"v1b"' };
      delete expected.lastModified;
      assert.deepEqual(await h.cache.get(key), expected);
      await h.elapse(key, 500);
      assert.equal(await h.cache.get(key), undefined);
      assert.equal(await h.cache.refresh(key, stored.sha256, { validatedAtMs: 9_500 }, 1_000), 'missing', 'an expired entry is not brought back');
      assert.equal(await h.cache.get(key), undefined);
    });

    it('refresh leaves an entry holding other content alone, and finds nothing to refresh under an empty key', async () => {
      const key = h.newKey();
      const newer = document('newer', { version: '2.0.0' });
      await h.cache.put(key, newer, 60_000);
      assert.equal(await h.cache.refresh(key, sha('older'), { validatedAtMs: 9_000 }, 60_000), 'other');
      assert.deepEqual(await h.cache.get(key), newer);
      assert.equal(await h.cache.refresh(h.newKey(), sha('older'), { validatedAtMs: 9_000 }, 60_000), 'missing');
    });

    it('does not store a body above its limit', async () => {
      const key = h.newKey();
      const big = { ...document('big'), body: new Uint8Array(h.maxBodyBytes + 1) };
      assert.equal(await h.cache.put(key, big, 60_000), false);
      assert.equal(await h.cache.get(key), undefined);
    });

    it('treats an entry it did not write as absent', { skip: !holdsBytes && 'process memory holds no bytes to overwrite' }, async () => {
      const key = h.newKey();
      await h.cache.put(key, document('one'), 60_000);
      await h.corrupt?.(key);
      assert.equal(await h.cache.get(key), undefined);
      assert.equal(await h.cache.refresh(key, sha('one'), { validatedAtMs: 9_000 }, 60_000), 'other');
    });
  });
}
