import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PATTERN_MATCHER_OPTIONS, estimatedProgramSize, Re2jsPatternMatcher } from '../../../src/adapters/re2/re2js-pattern-matcher';
import { WorkflowError } from '../../../src/domain/workflow-error';

function makeSut(options: Partial<typeof DEFAULT_PATTERN_MATCHER_OPTIONS> = {}): Re2jsPatternMatcher {
  return new Re2jsPatternMatcher({ ...DEFAULT_PATTERN_MATCHER_OPTIONS, ...options });
}

function refusal(matcher: Re2jsPatternMatcher, pattern: string): WorkflowError {
  try {
    matcher.search(pattern, 'some text');
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${pattern} to be refused`);
}

function elapsedMs(action: () => void): number {
  const started = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('Re2jsPatternMatcher', () => {
  it('searches anywhere in the text, as Go\'s regexp.MatchString', () => {
    const matcher = makeSut();
    assert.equal(matcher.search('communication$', 'https://serverlessworkflow.io/spec/1.0.0/errors/communication'), true);
    assert.equal(matcher.search('^communication', 'https://serverlessworkflow.io/spec/1.0.0/errors/communication'), false);
    assert.equal(matcher.search('5\\d\\d', 'HTTP request failed with status 503'), true);
    assert.equal(matcher.search('(?i)http REQUEST', 'HTTP request failed'), true);
    assert.equal(matcher.search('timeout|refused', 'connect ECONNREFUSED: refused'), true);
    assert.equal(matcher.search('a.c', 'a\nc'), false, '. does not match a newline');
  });

  it('answers `(a+)+b` against a long run of a\'s in linear time', () => {
    const matcher = makeSut();
    assert.ok(elapsedMs(() => assert.equal(matcher.search('(a+)+b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'), false)) < 1000);
    assert.ok(elapsedMs(() => assert.equal(matcher.search('(a+)+b', `${'a'.repeat(200_000)}!`), false)) < 2000);
    assert.ok(elapsedMs(() => assert.equal(matcher.search('(x+x+)+y', 'x'.repeat(100_000)), false)) < 2000);
  });

  it('refuses a search whose cost (pattern size × text length) would hold the event loop, at once', () => {
    const matcher = makeSut();
    const heavy = '[^#%]{0,1000}[^#%]{0,1000}[^#%]{0,1000}[#%]';
    let error: unknown;
    const ms = elapsedMs(() => {
      try {
        matcher.search(heavy, 'a'.repeat(100_000));
      } catch (e) {
        error = e;
      }
    });
    assert.ok(error instanceof WorkflowError);
    assert.equal(error.code, 'INVALID_PATTERN');
    assert.match(error.detail, /too costly to search a text of 100000 characters/);
    assert.ok(ms < 500, `took ${ms} ms`);
    // The same pattern over a short text, and a small pattern over a long one, are searched.
    assert.equal(matcher.search(heavy, 'abc#'), true);
    assert.equal(matcher.search('5\\d\\d', `${'x'.repeat(100_000)} 503`), true);
  });

  it('refuses backreferences, lookaround and invalid patterns with INVALID_PATTERN, naming the pattern and the reason', () => {
    const matcher = makeSut();
    const cases: [string, RegExp][] = [
      ['(a)\\1', /backreferences such as \\1 are not supported/],
      ['foo(?=bar)', /lookahead and lookbehind are not supported/],
      ['foo(?!bar)', /lookahead and lookbehind are not supported/],
      ['(?<=x)y', /lookahead and lookbehind are not supported/],
      ['(?<!x)y', /lookahead and lookbehind are not supported/],
      ['(unclosed', /missing closing \)/],
      ['[a-', /missing closing \]/],
      ['a**', /invalid nested repetition operator/],
    ];
    for (const [pattern, reason] of cases) {
      const error = refusal(matcher, pattern);
      assert.equal(error.kind, 'configuration', pattern);
      assert.equal(error.code, 'INVALID_PATTERN', pattern);
      assert.equal(error.retryable, false);
      assert.ok(error.detail.startsWith(`invalid error filter pattern ${JSON.stringify(pattern)}: `), error.detail);
      assert.match(error.detail, reason);
      assert.equal(error.data?.['pattern'], pattern);
    }
  });

  it('refuses patterns too long or too large once expanded, before compiling them', () => {
    const matcher = makeSut({ maxPatternLength: 100, maxProgramSize: 5000 });
    assert.match(refusal(matcher, 'a'.repeat(101)).detail, /longer than 100 characters/);
    assert.match(refusal(matcher, '((ab|cd|ef){40}){40}').detail, /too large once its repetitions are expanded/);
    assert.match(refusal(matcher, '[a-z]{1000}[0-9]{1000}\\w{1000}\\s{1000}.{1000}').detail, /too large/);
    assert.equal(matcher.search('[a-z]{3}-\\d{3}', 'id abc-123'), true);
  });

  it('estimates the expanded size: repetitions multiply what they repeat', () => {
    assert.equal(estimatedProgramSize('abc', 10_000), 3);
    assert.ok(estimatedProgramSize('a{1000}', 10_000) >= 1000);
    assert.ok(estimatedProgramSize('((a|b){30}){30}', 10_000) >= 900 * 3);
    assert.ok(estimatedProgramSize('[{]{5}\\p{Greek}{5}', 10_000) >= 10);
    assert.equal(estimatedProgramSize('(a{1000}){1000}', 10_000), 10_001, 'stops counting past the limit');
  });

  it('keeps a bounded number of compiled patterns, refusals included', () => {
    const matcher = makeSut({ maxCachedPatterns: 3 });
    for (let i = 0; i < 50; i++) matcher.search(`code-${i}`, 'code-7');
    assert.equal(matcher.cachedPatterns, 3);
    const first = refusal(matcher, '(a)\\1');
    assert.equal(refusal(matcher, '(a)\\1'), first, 'a refused pattern is diagnosed once');
    assert.equal(matcher.cachedPatterns, 3);
  });
});
