import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePath, parsePathExpression, PathExpression } from '../../../src/domain/jq-path';

function parsed(text: string): PathExpression {
  const path = parsePathExpression(text);
  assert.ok(path, `expected ${text} to parse as a path`);
  return path;
}

describe('parsePathExpression', () => {
  it('takes plain paths from the data or a variable', () => {
    assert.deepEqual(parsed('.'), { root: { kind: 'data' }, steps: [] });
    assert.deepEqual(parsed(' .input.id '), { root: { kind: 'data' }, steps: [{ kind: 'key', key: 'input' }, { kind: 'key', key: 'id' }] });
    assert.deepEqual(parsed('.a["b c"][0].[-1]."d"'), {
      root: { kind: 'data' },
      steps: [
        { kind: 'key', key: 'a' },
        { kind: 'key', key: 'b c' },
        { kind: 'index', index: 0 },
        { kind: 'index', index: -1 },
        { kind: 'key', key: 'd' },
      ],
    });
    assert.deepEqual(parsed('$workflow.id'), { root: { kind: 'variable', name: 'workflow' }, steps: [{ kind: 'key', key: 'id' }] });
  });

  it('declines everything that is not a plain path', () => {
    for (const text of ['', '..', '.a | .b', '.a?', '.a[]', '.[1:2]', '.a + 1', '"text"', '$__loc__', '.a.b[1.5]', '."a\\"b"', '. a', '.a .b', 'input', '$', '.["a"', '.[0', '.a[0]x', `.${'a'.repeat(600)}`]) {
      assert.equal(parsePathExpression(text), undefined, text);
    }
  });
});

describe('evaluatePath', () => {
  const scope = { input: { id: 42, tags: ['a', 'b'], nothing: null }, s: 'text' };

  it('looks keys and indexes up the way jq does', () => {
    const at = (text: string): unknown => evaluatePath(parsed(text), [scope], { workflow: { id: 'wf' } })?.value;
    assert.equal(at('.input.id'), 42);
    assert.equal(at('.input.tags[1]'), 'b');
    assert.equal(at('.input.tags[-1]'), 'b');
    assert.equal(at('.input.tags[5]'), null);
    assert.equal(at('.input.missing'), null);
    assert.equal(at('.input.nothing.deeper[3]'), null);
    assert.equal(at('$workflow.id'), 'wf');
    assert.deepEqual(at('.'), scope);
  });

  it('declines where jq would raise an error, so that jq reports it', () => {
    for (const text of ['.s.x', '.input.tags.x', '.input[0]', '.input.id.x', '$unknown']) {
      assert.equal(evaluatePath(parsed(text), [scope], {}), undefined, text);
    }
  });

  it('lets a later layer override an earlier one, as an object spread (undefined values are absent)', () => {
    const layers = [{ a: 1, b: 2 }, { a: 3, b: undefined }];
    assert.equal(evaluatePath(parsed('.a'), layers, {})?.value, 3);
    assert.equal(evaluatePath(parsed('.b'), layers, {})?.value, 2);
    assert.equal(evaluatePath(parsed('.'), layers, {}), undefined);
  });

  it('never reads inherited properties', () => {
    assert.equal(evaluatePath(parsed('.__proto__'), [{}], {})?.value, null);
    assert.equal(evaluatePath(parsed('.a.constructor'), [{ a: {} }], {})?.value, null);
  });
});
