import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Re2jsPatternMatcher } from '../../../src/adapters/re2/re2js-pattern-matcher';
import { matchesErrorFilter as filterWith, matchesValue as valueWith } from '../../../src/application/handlers/try/error-filter';
import { JsonObject } from '../../../src/domain/json';
import { errors, httpStatusError, ProblemDetails, WorkflowError } from '../../../src/domain/workflow-error';

const patterns = new Re2jsPatternMatcher();
const matchesErrorFilter = (filter: JsonObject | undefined, problem: ProblemDetails): boolean => filterWith(filter, problem, patterns);
const matchesValue = (expected: unknown, actual: unknown): boolean => valueWith(expected, actual, patterns);

function refusal(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `expected a WorkflowError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the pattern to be refused');
}

const unavailable = httpStatusError(503, { instance: '/tasks/task-x-1', data: { endpoint: 'https://api.example.com/x', method: 'GET' } }).toProblem();

describe('matchesErrorFilter', () => {
  it('matches status numerically (Go\'s T1: int against float64 never matched)', () => {
    assert.equal(matchesErrorFilter({ status: 503 }, unavailable), true);
    assert.equal(matchesErrorFilter({ status: 503.0 }, unavailable), true);
    assert.equal(matchesErrorFilter({ status: 500 }, unavailable), false);
  });
  it('matches the full type URI, or a regular expression over it', () => {
    assert.equal(matchesErrorFilter({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/communication' }, unavailable), true);
    assert.equal(matchesErrorFilter({ type: 'communication$' }, unavailable), true);
    assert.equal(matchesErrorFilter({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/timeout' }, unavailable), false);
  });
  it('requires every key to match', () => {
    assert.equal(matchesErrorFilter({ type: 'communication', status: 503 }, unavailable), true);
    assert.equal(matchesErrorFilter({ type: 'communication', status: 404 }, unavailable), false);
  });
  it('treats an array as membership', () => {
    assert.equal(matchesErrorFilter({ status: [502, 503, 504] }, unavailable), true);
    assert.equal(matchesErrorFilter({ status: [400, 404] }, unavailable), false);
  });
  it('matches title, detail (and SDL\'s "details"), instance and data keys', () => {
    assert.equal(matchesErrorFilter({ title: 'HTTP Request Failed' }, unavailable), true);
    assert.equal(matchesErrorFilter({ detail: 'status 503' }, unavailable), true);
    assert.equal(matchesErrorFilter({ details: '^HTTP request failed with status 5\\d\\d$' }, unavailable), true);
    assert.equal(matchesErrorFilter({ instance: '/tasks/task-x-1' }, unavailable), true);
    assert.equal(matchesErrorFilter({ endpoint: 'api\\.example\\.com' }, unavailable), true);
    assert.equal(matchesErrorFilter({ method: 'POST' }, unavailable), false);
    assert.equal(matchesErrorFilter({ code: 'HTTP_5XX' }, unavailable), true);
    assert.equal(matchesErrorFilter({ missing: 'x' }, unavailable), false);
    assert.equal(matchesErrorFilter({ constructor: 'Object' }, unavailable), false);
  });
  it('searches with a pattern that cannot backtrack: `(a+)+b` against a long run of a\'s answers at once', () => {
    const problem = errors.validation(`invalid duration '${'a'.repeat(34)}!'`).toProblem();
    const started = process.hrtime.bigint();
    assert.equal(matchesErrorFilter({ details: '(a+)+b' }, problem), false);
    assert.equal(matchesErrorFilter({ details: '(a+)+!' }, problem), true);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(elapsedMs < 1000, `took ${elapsedMs} ms`);
  });
  it('refuses a pattern the engine cannot take with a configuration error naming it, instead of not matching', () => {
    const problem = errors.validation('invalid duration \'aa\'').toProblem();
    const backreference = refusal(() => matchesErrorFilter({ details: '(a)\\1' }, problem));
    assert.equal(backreference.kind, 'configuration');
    assert.equal(backreference.code, 'INVALID_PATTERN');
    assert.match(backreference.detail, /^invalid error filter pattern "\(a\)\\\\1": backreferences/);
    const lookahead = refusal(() => matchesErrorFilter({ details: 'a(?=a)' }, problem));
    assert.match(lookahead.detail, /lookahead and lookbehind are not supported/);
  });
  it('catches every error without a filter', () => {
    assert.equal(matchesErrorFilter(undefined, errors.validation('bad').toProblem()), true);
    assert.equal(matchesErrorFilter({}, errors.validation('bad').toProblem()), true);
  });
});

describe('matchesValue', () => {
  it('compares numbers with numeric text and text with numbers', () => {
    assert.equal(matchesValue(503, '503'), true);
    assert.equal(matchesValue('5\\d\\d', 503), true);
    assert.equal(matchesValue(503, 'abc'), false);
  });
  it('compares exact text first, then refuses an invalid regular expression', () => {
    assert.equal(matchesValue('(', '('), true);
    const invalid = refusal(() => matchesValue('(', 'x'));
    assert.equal(invalid.code, 'INVALID_PATTERN');
    assert.match(invalid.detail, /^invalid error filter pattern "\(": missing closing \)/);
  });
  it('compares booleans, null and objects', () => {
    assert.equal(matchesValue(true, true), true);
    assert.equal(matchesValue(false, true), false);
    assert.equal(matchesValue(null, undefined), true);
    assert.equal(matchesValue({ a: 1 }, { a: 1, b: 2 }), true);
    assert.equal(matchesValue({ a: 2 }, { a: 1 }), false);
    assert.equal(matchesValue('x', undefined), false);
  });
});
