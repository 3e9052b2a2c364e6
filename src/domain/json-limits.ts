/**
 * Nesting limits for untrusted JSON. The service's own code (redaction, output building,
 * JSON.stringify itself) recurses once per level, so a payload nested tens of thousands of levels
 * deep would overflow the stack far from where it came in. Every place where JSON enters the
 * service (task data, response bodies, expression results, documents) checks its depth against one
 * limit first, so nothing deeper ever reaches that code.
 */

/** Default of EXECUTOR_MAX_JSON_DEPTH: far deeper than real payloads, far shallower than the stack. */
export const DEFAULT_MAX_JSON_DEPTH = 256;

/** Most nesting levels the service can build on top of an accepted value (its own envelopes). */
export const MAX_SUPPORTED_JSON_DEPTH = 1000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of arrays and objects in a JSON text, counting up to `maxDepth + 1`
 * (it stops there). Scans characters without parsing, so it is safe on any input, valid or not:
 * brackets inside strings do not count. A scalar has depth 0, `[]` and `{}` depth 1.
 */
export function jsonTextDepth(text: string, maxDepth = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** True when the JSON text nests deeper than `maxDepth`. Texts too short to do so are not scanned. */
export function jsonTextTooDeep(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth) return false;
  return jsonTextDepth(text, maxDepth) > maxDepth;
}

/**
 * The deepest nesting of arrays and plain objects in a value, counting up to `maxDepth + 1`.
 * Iterative (an explicit stack), so it never overflows however deep the value is.
 */
export function jsonValueDepth(value: unknown, maxDepth = Number.MAX_SAFE_INTEGER): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  const stack: { value: object; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: object; depth: number };
    if (depth > deepest) {
      deepest = depth;
      if (deepest > maxDepth) return deepest;
    }
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === 'object' && !(child instanceof Uint8Array)) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return deepest;
}

/** True when the value nests deeper than `maxDepth`. */
export function jsonValueTooDeep(value: unknown, maxDepth: number): boolean {
  return jsonValueDepth(value, maxDepth) > maxDepth;
}
