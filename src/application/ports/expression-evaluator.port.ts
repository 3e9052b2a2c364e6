import { WorkflowError } from '../../domain/workflow-error';

/** What one batch of expressions is evaluated against. */
export interface ExpressionInput {
  /**
   * The data `.` refers to: the layers merged as an object spread would (`{...layers[0], ...layers[1]}`;
   * a key whose value is undefined is absent). The first layer is usually the task's scope, the
   * same object for every batch of a task, so an adapter may cache its serialised form by identity.
   */
  layers: readonly Record<string, unknown>[];
  /** Bound as `$name` (also the same object for every batch of a task). */
  variables: Record<string, unknown>;
}

export interface ExpressionLimits {
  /** Longest the batch may run, in ms (the task's remaining time); adapters also apply their own cap. */
  timeoutMs: number;
  /** Aborts the evaluation (task deadline, shutdown): a running evaluation is stopped. */
  signal?: AbortSignal;
  /**
   * Whose work this is (the task's tenant). Adapters share their capacity fairly between keys, so
   * that one tenant's expensive expressions never leave another tenant's waiting for all of it.
   */
  share?: string;
}

/** One expression's result: its first output (null when it has none), or why it failed. */
export type ExpressionOutcome = { ok: true; value: unknown } | { ok: false; error: WorkflowError };

/**
 * Runtime expressions (jq). Every expression is untrusted: implementations run them where they
 * can be stopped, within a time and memory bound, so that no expression can stall the service.
 */
export interface ExpressionEvaluator {
  /**
   * Evaluates `expressions` (bodies of `${ … }`, without delimiters) against one input. An
   * expression that does not compile or fails at run time gives an `expression` WorkflowError
   * (EXPRESSION_FAILED) in its own outcome; the others are unaffected.
   *
   * Throws, for the whole batch, an `expression` WorkflowError: EXPRESSION_TIMEOUT when it runs
   * past its time limit, EXPRESSION_LIMIT when it exceeds the memory limit or its result is too
   * large or too deeply nested. Throws the signal's reason when the signal aborts first.
   */
  evaluate(expressions: readonly string[], input: ExpressionInput, limits: ExpressionLimits): Promise<ExpressionOutcome[]>;
  /** Stops every worker; pending evaluations are rejected. Idempotent. */
  close(): Promise<void>;
}
