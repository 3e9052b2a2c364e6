import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entrySizeOver, utf8Length } from '../../../src/domain/entry-size';

/** The reference: what an encoder writes. */
function encoded(text: string): number {
  return new TextEncoder().encode(text).length;
}

describe('utf8Length', () => {
  it('matches the UTF-8 encoding for ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
    for (const text of ['', 'plain ascii', 'é', '€uro', '😀 smile', 'a\ud800b', '\udc00', 'mixed é € 😀 \ud83d']) {
      assert.equal(utf8Length(text), encoded(text), JSON.stringify(text));
    }
  });
});

describe('entrySizeOver', () => {
  it('is undefined within the limit and the exact size of names and values beyond it', () => {
    const fields = { type: 'io.flunq.task.requested', data: '€'.repeat(10) };
    const size = 'type'.length + 'io.flunq.task.requested'.length + 'data'.length + 30;
    assert.equal(entrySizeOver(fields, size), undefined);
    assert.equal(entrySizeOver(fields, size - 1), size);
    assert.equal(entrySizeOver(fields, 1_000_000), undefined);
  });
});
