import { isPlainObject } from './json';

/**
 * An exact, in-process evaluator for the most common runtime expressions: plain path lookups
 * such as `.input.id`, `.variables.customer.name`, `.items[0]`, `."a b"`, `.["key"]` or
 * `$workflow.id`. Everything else (and every lookup jq would answer with an error) is declined,
 * and goes to jq itself. Declining is always safe; answering must give exactly jq's result.
 */

type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number };

export interface PathExpression {
  /** `.` (the data) or a variable name (`$name`). */
  readonly root: { kind: 'data' } | { kind: 'variable'; name: string };
  readonly steps: readonly Step[];
}

export type PathResult = { value: unknown } | undefined;

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
/** A JSON string without escapes (an escape would need jq's decoding to be exact). */
const SIMPLE_STRING = /^"([^"\\\p{Cc}]*)"/u;
const INTEGER = /^-?\d{1,15}/;

/** Parses a path expression, or returns undefined when the text is anything else. Never throws. */
export function parsePathExpression(text: string): PathExpression | undefined {
  const s = text.trim();
  if (s.length === 0 || s.length > 512) return undefined;
  let i = 0;
  let root: PathExpression['root'];
  const steps: Step[] = [];

  const ident = (): string | undefined => {
    if (!IDENT_START.test(s.charAt(i))) return undefined;
    const start = i;
    i++;
    while (i < s.length && IDENT_PART.test(s.charAt(i))) i++;
    return s.slice(start, i);
  };
  const quoted = (): string | undefined => {
    const m = SIMPLE_STRING.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[1];
  };
  /** `[ "key" ]` or `[ integer ]`, with `i` at the `[`. */
  const bracket = (): Step | undefined => {
    i++;
    let step: Step | undefined;
    if (s.charAt(i) === '"') {
      const key = quoted();
      if (key !== undefined) step = { kind: 'key', key };
    } else {
      const m = INTEGER.exec(s.slice(i));
      if (m) {
        i += m[0].length;
        step = { kind: 'index', index: Number(m[0]) };
      }
    }
    if (!step || s.charAt(i) !== ']') return undefined;
    i++;
    return step;
  };

  if (s.charAt(0) === '$') {
    i = 1;
    const name = ident();
    if (name === undefined || name.startsWith('__')) return undefined;
    root = { kind: 'variable', name };
  } else if (s.charAt(0) === '.') {
    root = { kind: 'data' };
    i = 1;
    // `.foo`, `."foo"`, `.[…]` directly after the root dot; `..` (recurse) is not a path.
    if (i < s.length) {
      const c = s.charAt(i);
      if (c === '"') {
        const key = quoted();
        if (key === undefined) return undefined;
        steps.push({ kind: 'key', key });
      } else if (c === '[') {
        const step = bracket();
        if (!step) return undefined;
        steps.push(step);
      } else {
        const key = ident();
        if (key === undefined) return undefined;
        steps.push({ kind: 'key', key });
      }
    }
  } else return undefined;

  while (i < s.length) {
    const c = s.charAt(i);
    if (c === '[') {
      const step = bracket();
      if (!step) return undefined;
      steps.push(step);
    } else if (c === '.') {
      i++;
      const next = s.charAt(i);
      let step: Step | undefined;
      if (next === '"') {
        const key = quoted();
        if (key !== undefined) step = { kind: 'key', key };
      } else if (next === '[') step = bracket();
      else {
        const key = ident();
        if (key !== undefined) step = { kind: 'key', key };
      }
      if (!step) return undefined;
      steps.push(step);
    } else return undefined;
  }
  return { root, steps };
}

/** One step the way jq takes it, or undefined where jq would raise an error. */
function stepInto(value: unknown, step: Step): PathResult {
  if (value === null || value === undefined) return { value: null };
  if (step.kind === 'key') {
    if (!isPlainObject(value)) return undefined;
    return { value: Object.hasOwn(value, step.key) ? (value[step.key] ?? null) : null };
  }
  if (!Array.isArray(value)) return undefined;
  const index = step.index < 0 ? value.length + step.index : step.index;
  const item: unknown = index >= 0 && index < value.length ? value[index] : null;
  return { value: item ?? null };
}

/**
 * Evaluates a parsed path against `data` (the layers are looked up last first, so that later
 * layers override earlier ones as an object spread would) and `variables`. Returns undefined when
 * jq would fail (a key into an array, an index into an object, anything into a scalar, an unknown
 * variable), so that the caller asks jq and reports jq's own error.
 */
export function evaluatePath(path: PathExpression, data: readonly Record<string, unknown>[], variables: Record<string, unknown>): PathResult {
  let current: PathResult;
  let steps = path.steps;
  if (path.root.kind === 'variable') {
    if (!Object.hasOwn(variables, path.root.name)) return undefined;
    current = { value: variables[path.root.name] ?? null };
  } else {
    const first = steps[0];
    if (first === undefined) {
      if (data.length !== 1) return undefined;
      return { value: data[0] };
    }
    if (first.kind !== 'key') return undefined;
    // A layer's key whose value is undefined is absent (as in the JSON jq receives).
    const layer = [...data].reverse().find((d) => Object.hasOwn(d, first.key) && d[first.key] !== undefined);
    current = { value: layer ? (layer[first.key] ?? null) : null };
    steps = steps.slice(1);
  }
  for (const step of steps) {
    current = stepInto(current.value, step);
    if (current === undefined) return undefined;
  }
  return current;
}

/** Parsed paths by expression text (the same few expressions recur in every request). */
const parsed = new Map<string, PathExpression | null>();
const MAX_CACHED = 10_000;

/** `parsePathExpression` with a bounded cache. */
export function pathExpressionOf(text: string): PathExpression | undefined {
  let path = parsed.get(text);
  if (path === undefined) {
    path = parsePathExpression(text) ?? null;
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(text, path);
  }
  return path ?? undefined;
}
