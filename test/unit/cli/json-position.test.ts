import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSyntaxProblem } from '../../../src/cli/json-position';

describe('jsonSyntaxProblem', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0', '{"a":{"b":[{}]}}']) {
      assert.doesNotThrow(() => JSON.parse(text));
      assert.equal(jsonSyntaxProblem(text), undefined, text);
    }
  });

  it('gives the line, column and position of the first error', () => {
    assert.deepEqual(jsonSyntaxProblem('{\n  "a": 1,\n  "b": tru}\n'), { position: 22, line: 3, column: 11, reason: 'unexpected character "}"' });
    assert.deepEqual(jsonSyntaxProblem('{"a":1,}'), { position: 7, line: 1, column: 8, reason: 'unexpected character "}"' });
    assert.deepEqual(jsonSyntaxProblem('{"a":1'), { position: 6, line: 1, column: 7, reason: 'unexpected end of input' });
    assert.deepEqual(jsonSyntaxProblem(''), { position: 0, line: 1, column: 1, reason: 'unexpected end of input' });
    assert.deepEqual(jsonSyntaxProblem('[1,2] x'), { position: 6, line: 1, column: 7, reason: 'unexpected character "x"' });
    assert.deepEqual(jsonSyntaxProblem("{'a': 1}"), { position: 1, line: 1, column: 2, reason: 'unexpected character "\'"' });
    assert.equal(jsonSyntaxProblem('[01]')?.position, 2);
    assert.equal(jsonSyntaxProblem('"tab\there"')?.position, 4, 'control characters must be escaped');
  });

  it('agrees with JSON.parse on random near-JSON texts', () => {
    const base = '{"task_type":"set","input":{"a":[1,2,{"b":null}],"c":"d"}}';
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let k = 0; k < 500; k++) {
      const at = next(base.length);
      const text = base.slice(0, at) + '{}[],:"x1 '[next(10)] + base.slice(at + next(2));
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(jsonSyntaxProblem(text) === undefined, valid, text);
    }
  });
});
