import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';
import { PatternMatcher } from '../../application/ports/pattern-matcher.port';
import { WorkflowError } from '../../domain/workflow-error';

export interface Re2jsPatternMatcherOptions {
  /** Compiled patterns kept (least recently used dropped first); refused patterns are kept too. */
  maxCachedPatterns: number;
  /** Longest pattern accepted, in characters. */
  maxPatternLength: number;
  /** Largest compiled program accepted, in instructions (`x{1000}` alone is a thousand). */
  maxProgramSize: number;
  /**
   * Largest search accepted, in program instructions × text characters. Linear time still grows
   * with both (in the worst case about 20 ns per unit here): a large pattern over a long text is
   * refused rather than allowed to hold the event loop.
   */
  maxSearchCost: number;
}

export const DEFAULT_PATTERN_MATCHER_OPTIONS: Re2jsPatternMatcherOptions = {
  maxCachedPatterns: 512,
  maxPatternLength: 1024,
  maxProgramSize: 10_000,
  maxSearchCost: 4_000_000,
};

/** Longest excerpt of a pattern quoted in an error detail. */
const QUOTED_CHARS = 200;

function quoted(pattern: string): string {
  return JSON.stringify(pattern.length > QUOTED_CHARS ? `${pattern.slice(0, QUOTED_CHARS)}…` : pattern);
}

function invalidPattern(pattern: string, reason: string): WorkflowError {
  return new WorkflowError({
    kind: 'configuration',
    code: 'INVALID_PATTERN',
    title: 'Invalid Pattern',
    detail: `invalid error filter pattern ${quoted(pattern)}: ${reason}`,
    data: { pattern: pattern.length > QUOTED_CHARS ? `${pattern.slice(0, QUOTED_CHARS)}…` : pattern, reason },
  });
}

/** Why the engine refused a pattern, in the words a workflow author needs. */
function reasonOf(error: RE2JSException): string {
  if (error instanceof RE2JSSyntaxException) {
    const at = error.getPattern() ?? '';
    if (/^\\[1-9]/.test(at)) return `backreferences such as ${at} are not supported (RE2 syntax, as Go's regexp)`;
    if (/^\(\?(=|!|<=|<!)/.test(at)) return 'lookahead and lookbehind are not supported (RE2 syntax, as Go\'s regexp)';
    return `${error.getDescription()}${at ? `: ${at}` : ''}`;
  }
  return error.message;
}

/** Reads `{n}`, `{n,}` or `{n,m}` at `start`; the repeat count and the index of `}`, or undefined for a literal `{`. */
function repeatAt(pattern: string, start: number): { count: number; end: number } | undefined {
  const m = /^\{(\d{1,7})(,(\d{0,7}))?\}/.exec(pattern.slice(start, start + 20));
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3]);
  return { count: Math.max(min, max, 1), end: start + m[0].length - 1 };
}

/**
 * An estimate of the compiled program's size, without compiling: repetitions multiply the size
 * of what they repeat, so `((a|b){30}){30}` is about 4,000 instructions. Compiling costs time in
 * proportion to that size, so a pattern far too large is refused before it is compiled.
 */
export function estimatedProgramSize(pattern: string, limit: number): number {
  const groups: number[] = [0];
  let total = 0;
  let last = 0;
  const add = (size: number): void => {
    groups[groups.length - 1] = (groups[groups.length - 1] ?? 0) + size;
    total += size;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      // `\p{Greek}`, `\x{263a}`: one instruction including the braces.
      if (/[pPx]/.test(pattern[i + 1] ?? '') && pattern[i + 2] === '{') i = Math.max(i + 2, pattern.indexOf('}', i + 2));
      else i++;
      last = 1;
      add(1);
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      last = 1;
      add(1);
    } else if (c === '(') {
      groups.push(0);
      last = 0;
    } else if (c === ')') {
      const inner = groups.length > 1 ? (groups.pop() ?? 0) : 0;
      total -= inner;
      last = inner + 2;
      add(last);
    } else if (c === '|') {
      last = 0;
      add(1);
    } else if (c === '{' && repeatAt(pattern, i)) {
      const repeat = repeatAt(pattern, i) as { count: number; end: number };
      add(last * (repeat.count - 1) + 1);
      last = last * repeat.count;
      i = repeat.end;
    } else if (c === '*' || c === '+' || c === '?') {
      add(1);
    } else {
      last = 1;
      add(1);
    }
    if (total > limit) return limit + 1;
  }
  return total;
}

/**
 * PatternMatcher on re2js, a JavaScript port of RE2: matching time is linear in the text, and
 * patterns that would need backtracking (backreferences, lookaround) are refused rather than
 * run. Compiled patterns are cached (bounded, least recently used dropped first), and so are
 * refusals, so that a bad pattern in a retried task is diagnosed once.
 */
export class Re2jsPatternMatcher implements PatternMatcher {
  private readonly cache = new Map<string, RE2JS | WorkflowError>();
  private readonly sizes = new WeakMap<RE2JS, number>();

  constructor(private readonly options: Re2jsPatternMatcherOptions = DEFAULT_PATTERN_MATCHER_OPTIONS) {}

  search(pattern: string, text: string): boolean {
    const compiled = this.compiled(pattern);
    if (compiled instanceof WorkflowError) throw compiled;
    const size = this.sizes.get(compiled) ?? 1;
    if (size * text.length > this.options.maxSearchCost) {
      throw invalidPattern(pattern, `a pattern of ${size} instructions is too costly to search a text of ${text.length} characters (instructions × characters at most ${this.options.maxSearchCost})`);
    }
    return compiled.test(text);
  }

  /** Patterns held now (for tests and diagnostics). */
  get cachedPatterns(): number {
    return this.cache.size;
  }

  private compiled(pattern: string): RE2JS | WorkflowError {
    const cached = this.cache.get(pattern);
    if (cached !== undefined) {
      // Map order is insertion order: re-inserting marks the pattern as recently used.
      this.cache.delete(pattern);
      this.cache.set(pattern, cached);
      return cached;
    }
    const compiled = this.compile(pattern);
    if (this.cache.size >= this.options.maxCachedPatterns) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(pattern, compiled);
    return compiled;
  }

  private compile(pattern: string): RE2JS | WorkflowError {
    const { maxPatternLength, maxProgramSize } = this.options;
    if (pattern.length > maxPatternLength) return invalidPattern(pattern, `longer than ${maxPatternLength} characters`);
    if (estimatedProgramSize(pattern, maxProgramSize) > maxProgramSize) return invalidPattern(pattern, `too large once its repetitions are expanded (more than ${maxProgramSize} instructions)`);
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      if (error instanceof RE2JSException) return invalidPattern(pattern, reasonOf(error));
      throw error;
    }
    const size = compiled.matcher('').programSize();
    if (size > maxProgramSize) return invalidPattern(pattern, `too large once its repetitions are expanded (more than ${maxProgramSize} instructions)`);
    this.sizes.set(compiled, size);
    return compiled;
  }
}
