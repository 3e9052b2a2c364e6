/**
 * Runtime expressions (jq). Synchronous so that nested values can be resolved in one pass;
 * implementations load their engine before they are bound.
 */
export interface ExpressionEvaluator {
  /**
   * Evaluates `expression` (the body of `${ … }`, without delimiters) against `data`,
   * with `variables` bound as `$name`. Returns the first result, or null when there is none.
   * Throws an `expression` WorkflowError when the expression does not compile or fails.
   */
  evaluate(expression: string, data: unknown, variables?: Record<string, unknown>): unknown;
}
