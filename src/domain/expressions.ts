import { isPlainObject } from './json';

/** `${ … }` in strict mode (SDL 2.7): the whole string is one expression. */
const EXPRESSION = /^\s*\$\{([\s\S]+)\}\s*$/;

export function expressionBody(value: string): string | undefined {
  const m = EXPRESSION.exec(value);
  return m?.[1]?.trim();
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && EXPRESSION.test(value);
}

/**
 * The bodies of every `${ … }` string inside `value`, in walk order (depth first, arrays in
 * order, object keys in insertion order). `substituteExpressions` replaces them in the same order.
 */
export function expressionBodies(value: unknown): string[] {
  const out: string[] = [];
  visit(value, (body) => {
    out.push(body);
    return body;
  });
  return out;
}

/**
 * A copy of `value` with the n-th `${ … }` string (in `expressionBodies` order) replaced by
 * `results[n]`. Object keys are kept; a string that is not an expression is kept as is.
 */
export function substituteExpressions(value: unknown, results: readonly unknown[]): unknown {
  let n = 0;
  return visit(value, () => results[n++]);
}

/** A copy of `value` whose expression bodies are rewritten by `rewrite` (still `${ … }` strings). */
export function rewriteExpressions(value: unknown, rewrite: (body: string) => string): unknown {
  return visit(value, (body) => `\${ ${rewrite(body)} }`);
}

/**
 * Walks a template (task parameters from the request: their nesting is bounded by the JSON depth
 * limit checked when the request was parsed) and rebuilds it with each expression replaced.
 */
function visit(value: unknown, replace: (body: string) => unknown): unknown {
  if (typeof value === 'string') {
    const body = expressionBody(value);
    return body === undefined ? value : replace(body);
  }
  if (Array.isArray(value)) return value.map((v) => visit(v, replace));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = visit(v, replace);
    return out;
  }
  return value;
}
