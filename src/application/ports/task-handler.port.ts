import { JsonObject } from '../../domain/json';
import { TaskRequest } from '../../domain/task-request';
import { TaskOutcome } from '../../domain/task-result';
import { Logger } from './logger.port';

/** Everything a handler may use while running one task. */
export interface TaskContext {
  readonly request: TaskRequest;
  /** Aborts at the task deadline or on forced shutdown. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the task must finish. */
  readonly deadline: number;
  readonly logger: Logger;
  /**
   * A copy of `value` with every `${ … }` string replaced by its result against the task's scope
   * (plus `extra`, whose keys override the scope's); `value` itself when it holds no expression.
   * Rejects with the `expression` WorkflowError of the first expression that fails, or with
   * EXPRESSION_TIMEOUT / EXPRESSION_LIMIT when the evaluation had to be stopped.
   */
  resolve(value: unknown, extra?: Record<string, unknown>): Promise<unknown>;
  /** The data expressions see: `{input, workflow_input, variables, task_outputs, context}`. */
  readonly scope: JsonObject;
  /**
   * True when an enclosing `try` retries this task with its own `catch.retry` policy: the task
   * must then not retry on its own (no transport retries), so that attempts never multiply.
   */
  readonly workflowRetries: boolean;
  /**
   * Names this operation for downstream idempotency: the same for every run of the same task
   * (redeliveries, reclaims, a try's retries) and different for each operation within it, scoped by
   * tenant: e.g. `acme/task-pay-1756…` for a top-level task and `acme/task-pay-1756…/try/0` for a
   * try's first inner task.
   * An operator's replay of a dead letter is a new run and gets a new key.
   */
  readonly operationKey: string;
  /** The task types this executor runs (the handler registry's, sorted): what `runInner` accepts. */
  readonly taskTypes: readonly string[];
  /**
   * Runs another task type within this task (used by `try` for inner and recovery tasks),
   * sharing this task's deadline and signal.
   */
  runInner(taskType: string, parameters: JsonObject, input?: JsonObject, options?: InnerTaskOptions): Promise<TaskOutcome>;
}

export interface InnerTaskOptions {
  /** The caller retries the inner task itself (see TaskContext.workflowRetries). */
  workflowRetries?: boolean;
  /** The inner task's place within this one (appended to `operationKey`), e.g. `try/0`. */
  position?: string;
}

/**
 * A task type. `execute` returns expected failures as a failed outcome; it throws only for
 * bugs and outages, which the executor turns into processing retries.
 */
export interface TaskHandler {
  readonly taskType: string;
  execute(context: TaskContext): Promise<TaskOutcome>;
}
