import { isPlainObject, JsonObject } from '../../../domain/json';
import { ProblemDetails } from '../../../domain/workflow-error';
import { PatternMatcher } from '../../ports/pattern-matcher.port';

/** Filter keys that name a property of the error itself; any other key is looked up in `data`. */
const PROPERTIES = new Map<string, keyof ProblemDetails>([
  ['type', 'type'],
  ['status', 'status'],
  ['title', 'title'],
  ['detail', 'detail'],
  // SDL 1.0 names the filter field `details`.
  ['details', 'detail'],
  ['instance', 'instance'],
]);

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/**
 * Exact text, else an (unanchored) regular expression search, as Go's regexp.MatchString. The
 * pattern comes from the workflow, so it runs on a linear-time engine; a pattern that engine
 * refuses throws a `configuration` error (INVALID_PATTERN) rather than silently not matching.
 */
function matchesText(expected: string, actual: string, patterns: PatternMatcher): boolean {
  if (expected === actual) return true;
  return patterns.search(expected, actual);
}

/**
 * One expected filter value against the error's value:
 * - an array matches when any of its elements matches (membership);
 * - numbers compare numerically, also against numeric text (Go's executor compared an int with a float64);
 * - strings match exactly or as a regular expression in RE2 syntax (numbers and booleans are
 *   matched as text);
 * - objects match when every key matches; booleans and null compare by value.
 */
export function matchesValue(expected: unknown, actual: unknown, patterns: PatternMatcher): boolean {
  if (Array.isArray(expected)) return expected.some((candidate) => matchesValue(candidate, actual, patterns));
  if (expected === null) return actual === null || actual === undefined;
  if (actual === undefined) return false;
  if (typeof expected === 'number') return asNumber(actual) === expected;
  if (typeof expected === 'string') {
    if (typeof actual === 'string') return matchesText(expected, actual, patterns);
    if (typeof actual === 'number' || typeof actual === 'boolean') return matchesText(expected, String(actual), patterns);
    return false;
  }
  if (typeof expected === 'boolean') return actual === expected || actual === String(expected);
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    return Object.entries(expected).every(([key, value]) => matchesValue(value, Object.hasOwn(actual, key) ? actual[key] : undefined, patterns));
  }
  return false;
}

/**
 * True when every `errors.with` key matches the error; no filter catches every error.
 * Throws a `configuration` WorkflowError (INVALID_PATTERN) for a pattern the engine refuses.
 */
export function matchesErrorFilter(filter: JsonObject | undefined, problem: ProblemDetails, patterns: PatternMatcher): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([key, expected]) => {
    const property = PROPERTIES.get(key);
    const actual = property !== undefined ? problem[property] : (problem.data && Object.hasOwn(problem.data, key) ? problem.data[key] : undefined);
    return matchesValue(expected, actual, patterns);
  });
}
