import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entrySize } from '../../../src/adapters/flunq-wire/stream-fields';
import { utf8Length } from '../../../src/domain/message-size';

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

describe('entrySize', () => {
  it('is the exact size of names and values in UTF-8', () => {
    const fields = { type: 'io.flunq.task.requested', data: '€'.repeat(10) };
    assert.equal(entrySize(fields), 'type'.length + 'io.flunq.task.requested'.length + 'data'.length + 30);
  });
});
