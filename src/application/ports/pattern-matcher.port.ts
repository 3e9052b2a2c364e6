/**
 * Regular-expression search for patterns written by workflow authors (`catch.errors.with`).
 *
 * The syntax is RE2's, as Go's `regexp` package: no backreferences and no lookaround, so every
 * search runs in time linear in the text, whatever the pattern (a backtracking engine can take
 * exponential time on `(a+)+b`).
 */
export interface PatternMatcher {
  /**
   * True when `pattern` matches anywhere in `text` (an unanchored search, as Go's
   * `regexp.MatchString`). Pure and repeatable; compiled patterns may be cached.
   *
   * @throws WorkflowError of kind `configuration`, code `INVALID_PATTERN`, when the pattern is
   *   invalid, uses syntax the engine does not support (backreferences, lookaround) or is too
   *   large; its detail names the pattern and the reason.
   */
  search(pattern: string, text: string): boolean;
}
