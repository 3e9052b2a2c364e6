import { RE2JS } from 're2js';
import { estimatedProgramSize } from './re2js-pattern-matcher';

/** What a JSON schema validator needs of a compiled pattern (Ajv's `RegExpLike`). */
export interface RegExpLike {
  test(text: string): boolean;
  /** Ajv shares compiled patterns by this key: it must tell patterns apart. */
  toString(): string;
}

/** Ajv's `code.regExp` option, typed by shape so that this family does not depend on Ajv. */
export type RegExpEngine = ((pattern: string, flags: string) => RegExpLike) & { code: string };

export interface Re2RegExpEngineOptions {
  /**
   * Largest search, in program instructions × text characters (linear time still grows with both);
   * a larger one throws a PatternSearchTooCostly. Undefined: no bound.
   */
  maxSearchCost?: number;
  /** Longest pattern compiled, in characters; a longer one is unsupported. Undefined: no bound. */
  maxPatternLength?: number;
  /** Largest program compiled, in instructions (repetitions expanded); a larger one is unsupported. Undefined: no bound. */
  maxProgramSize?: number;
}

/** A schema pattern that would take too long over the text it was given (instructions × characters over the bound). */
export class PatternSearchTooCostly extends Error {
  constructor(
    readonly pattern: string,
    readonly textLength: number,
    readonly maxSearchCost: number,
  ) {
    super(`pattern ${JSON.stringify(pattern.length > 200 ? `${pattern.slice(0, 200)}…` : pattern)} is too costly to search a text of ${textLength} characters (instructions × characters at most ${maxSearchCost})`);
    this.name = 'PatternSearchTooCostly';
  }
}

/**
 * JSON Schema `pattern` and `patternProperties` on RE2 (re2js: linear time, as Go's regexp) rather
 * than on JavaScript's backtracking engine, so that a schema from an untrusted document (`^(a+)+$`)
 * cannot hold the thread that validates on crafted data. A pattern RE2 cannot run (lookaround,
 * backreferences), or past the bounds on length and program size given (compiling it alone would be
 * costly), is not enforced: it matches every text.
 */
export function re2RegExpEngine(options: Re2RegExpEngineOptions = {}): RegExpEngine {
  const { maxPatternLength = Infinity, maxProgramSize = Infinity, maxSearchCost } = options;
  const engine = (pattern: string, flags: string): RegExpLike => {
    const key = `/${pattern}/${flags}`;
    const unenforced: RegExpLike = { test: () => true, toString: () => key };
    if (pattern.length > maxPatternLength) return unenforced;
    if (maxProgramSize !== Infinity && estimatedProgramSize(pattern, maxProgramSize) > maxProgramSize) return unenforced;
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(pattern);
    } catch {
      return unenforced;
    }
    const size = compiled.matcher('').programSize();
    if (size > maxProgramSize) return unenforced;
    return {
      test(text: string): boolean {
        if (maxSearchCost !== undefined && size * text.length > maxSearchCost) throw new PatternSearchTooCostly(pattern, text.length, maxSearchCost);
        return compiled.test(text);
      },
      toString: () => key,
    };
  };
  // Only read by Ajv's standalone code generation, which is never used here.
  return Object.assign(engine, { code: 'require("re2js").RE2JS.compile' });
}
