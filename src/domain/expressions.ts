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

/** True when any string inside the value is a runtime expression (walks arrays and objects). */
export function containsExpression(value: unknown): boolean {
  if (typeof value === 'string') return EXPRESSION.test(value);
  if (Array.isArray(value)) return value.some(containsExpression);
  if (isPlainObject(value)) return Object.values(value).some(containsExpression);
  return false;
}

/**
 * A copy of `value` with every `${ … }` string replaced by `evaluate(body)`.
 * Object keys are kept; a string that is not an expression is kept as is.
 */
export function resolveExpressions(value: unknown, evaluate: (body: string) => unknown): unknown {
  if (typeof value === 'string') {
    const body = expressionBody(value);
    return body === undefined ? value : evaluate(body);
  }
  if (Array.isArray(value)) return value.map((v) => resolveExpressions(v, evaluate));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveExpressions(v, evaluate);
    return out;
  }
  return value;
}
