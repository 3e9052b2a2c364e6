import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTextDepth, jsonTextTooDeep, jsonValueDepth, jsonValueTooDeep } from '../../../src/domain/json-limits';

function nested(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

describe('jsonTextDepth', () => {
  it('counts the deepest nesting of arrays and objects', () => {
    assert.equal(jsonTextDepth('1'), 0);
    assert.equal(jsonTextDepth('"text"'), 0);
    assert.equal(jsonTextDepth('[]'), 1);
    assert.equal(jsonTextDepth('{"a":[1,{"b":{}}],"c":[]}'), 4);
  });
  it('ignores brackets inside strings, escaped quotes included', () => {
    assert.equal(jsonTextDepth('{"a":"[[[{{{"}'), 1);
    assert.equal(jsonTextDepth('["\\"[[[", ["x"]]'), 2);
    assert.equal(jsonTextDepth('["\\\\", [[1]]]'), 3);
  });
  it('stops counting once past the limit, on input of any depth', () => {
    assert.equal(jsonTextDepth(nested(100_000), 256), 257);
    assert.equal(jsonTextTooDeep(nested(100_000), 256), true);
    assert.equal(jsonTextTooDeep(nested(256), 256), false);
    assert.equal(jsonTextTooDeep(nested(257), 256), true);
  });
  it('skips texts too short to exceed the limit', () => {
    assert.equal(jsonTextTooDeep('[[[', 3), false);
    assert.equal(jsonTextTooDeep('[[[[', 3), true);
  });
});

describe('jsonValueDepth', () => {
  it('measures values the same way as texts', () => {
    for (const text of ['1', '[]', '{"a":[1,{"b":{}}],"c":[]}', nested(50)]) {
      assert.equal(jsonValueDepth(JSON.parse(text)), jsonTextDepth(text), text.slice(0, 20));
    }
  });
  it('walks a value nested 100,000 levels without overflowing the stack', () => {
    const deep: unknown = JSON.parse(nested(100_000));
    assert.equal(jsonValueTooDeep(deep, 256), true);
    assert.equal(jsonValueDepth(deep, 10), 11);
  });
});
