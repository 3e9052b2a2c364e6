import { expressionBody, rewriteExpressions } from '../../../domain/expressions';
import { JsonObject } from '../../../domain/json';
import { RetryDecision, RetryPolicy } from '../../../domain/retry-policy';
import { failed, succeeded, TaskOutcome } from '../../../domain/task-result';
import { isWorkflowError, ProblemDetails, toWorkflowError, WorkflowError } from '../../../domain/workflow-error';
import { Clock } from '../../ports/clock.port';
import { Metrics } from '../../ports/metrics.port';
import { PatternMatcher } from '../../ports/pattern-matcher.port';
import { Random } from '../../ports/random.port';
import { TaskContext, TaskHandler } from '../../ports/task-handler.port';
import { transformOutput } from '../output-transform';
import { matchesErrorFilter } from './error-filter';
import {
  CatchDefinition,
  InnerTaskDefinition,
  parseTryConfiguration,
  RetryDefinition,
  startingAttemptCount,
  TRY_INPUT_KEYS,
  TryConfiguration,
} from './try-configuration';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

type TasksResult =
  | { ok: true; output: unknown; resolvedInput: JsonObject | undefined }
  | { ok: false; error: WorkflowError; output: unknown; resolvedInput: JsonObject | undefined };

/**
 * `try`: runs the inner task(s) through the registered handlers; a failure of any kind is
 * raised into `catch`, which filters it (`errors.with`, `when`, `exceptWhen`), then retries
 * inside the executor with the policy's delays (on the Clock, bounded by the task deadline),
 * or recovers with `do`, or swallows it as `{<as>: error}`. Exactly one outcome comes out:
 * exhausted retries fail with the last error and the last output.
 */
export class TryTaskHandler implements TaskHandler {
  readonly taskType = 'try';

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly metrics: Metrics,
    private readonly patterns: PatternMatcher,
  ) {}

  async execute(context: TaskContext): Promise<TaskOutcome> {
    let configuration: TryConfiguration;
    try {
      configuration = parseTryConfiguration(context.request, context.taskTypes);
    } catch (error) {
      if (isWorkflowError(error)) return failed(error);
      throw error;
    }
    return new TryRun(context, configuration, this.clock, this.random, this.metrics, this.patterns).run();
  }
}

/** The state of one try task: attempts and delays so far. */
class TryRun {
  private readonly previousAttempts: number;
  private readonly startedAt: number;
  private readonly baseInput: JsonObject;
  private attempts = 0;
  private readonly delays: number[] = [];
  private readonly policy: RetryPolicy | undefined;

  constructor(
    private readonly context: TaskContext,
    private readonly configuration: TryConfiguration,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly metrics: Metrics,
    private readonly patterns: PatternMatcher,
  ) {
    this.previousAttempts = startingAttemptCount(context.request);
    this.startedAt = clock.now();
    this.baseInput = Object.fromEntries(Object.entries(context.request.input).filter(([key]) => !TRY_INPUT_KEYS.includes(key)));
    const retry = configuration.catch.retry;
    this.policy = retry ? new RetryPolicy(retry.policy) : undefined;
  }

  async run(): Promise<TaskOutcome> {
    const { catch: handler } = this.configuration;
    for (;;) {
      const attemptStarted = this.clock.now();
      this.attempts++;
      const result = await this.runTasks(this.configuration.tasks);
      if (result.ok) return succeeded(result.output, this.resolvedInput(result.resolvedInput));

      const { error, output, resolvedInput } = result;
      const problem = error.toProblem();
      let caught: boolean;
      let retry: boolean;
      try {
        caught = await this.catches(handler, problem);
        retry = caught && handler.retry !== undefined && (await this.retryApplies(handler.retry, problem, handler.as));
      } catch (raised) {
        if (isWorkflowError(raised)) return this.fail(raised.withData({ raised_error: problem.detail ?? problem.type }), output, resolvedInput);
        throw raised;
      }
      if (!caught) return this.fail(error, output, resolvedInput);
      if (!retry) return this.recover(handler, problem);

      const decision = this.nextRetry(error, attemptStarted);
      if (decision.action === 'give-up') {
        this.context.logger.info('try: retries stopped', { tryAttempts: this.totalAttempts(), reason: decision.reason, errorCode: error.code });
        return this.fail(error.withData({ retry_stopped: decision.reason }), output, resolvedInput);
      }
      this.metrics.retry('workflow', 'try');
      this.delays.push(decision.delayMs);
      this.context.logger.warn('try: retrying after a caught error', { tryAttempt: this.totalAttempts(), delayMs: decision.delayMs, errorCode: error.code });
      try {
        await this.clock.sleep(decision.delayMs, this.context.signal);
      } catch (reason) {
        return this.fail(toWorkflowError(reason), output, resolvedInput);
      }
    }
  }

  private totalAttempts(): number {
    return this.previousAttempts + this.attempts;
  }

  private summary(): JsonObject {
    return { attempts: this.totalAttempts(), delays_ms: [...this.delays] };
  }

  /**
   * `data.input` of the completion: the inner task's resolved input, or the task input without
   * the try configuration (which may hold credentials), plus the attempts.
   */
  private resolvedInput(inner: JsonObject | undefined): JsonObject {
    return { ...(inner ?? this.baseInput), try: this.summary() };
  }

  private fail(error: WorkflowError, output: unknown, resolvedInput?: JsonObject): TaskOutcome {
    return failed(error.withData(this.summary()), output, this.resolvedInput(resolvedInput));
  }

  /** The catch applies when the filter matches, `when` holds and `exceptWhen` does not. */
  private async catches(handler: CatchDefinition, problem: ProblemDetails): Promise<boolean> {
    if (!matchesErrorFilter(handler.filter, problem, this.patterns)) return false;
    if (handler.when !== undefined && !(await this.holds(handler.when, problem, handler.as))) return false;
    if (handler.exceptWhen !== undefined && (await this.holds(handler.exceptWhen, problem, handler.as))) return false;
    return true;
  }

  private async retryApplies(retry: RetryDefinition, problem: ProblemDetails, as: string): Promise<boolean> {
    if (retry.when !== undefined && !(await this.holds(retry.when, problem, as))) return false;
    if (retry.exceptWhen !== undefined && (await this.holds(retry.exceptWhen, problem, as))) return false;
    return true;
  }

  private nextRetry(error: WorkflowError, attemptStarted: number): RetryDecision {
    const policy = this.policy as RetryPolicy;
    const now = this.clock.now();
    const jitter = policy.spec.jitter;
    const decision = policy.decide({
      attempt: this.totalAttempts(),
      elapsedMs: now - this.startedAt,
      lastAttemptMs: now - attemptStarted,
      error,
      // Draw only when the jitter has a range, so that other users of Random see the same sequence.
      random: jitter && jitter.toMs > jitter.fromMs ? this.random.next() : 0,
    });
    if (decision.action === 'retry' && now + decision.delayMs >= this.context.deadline) {
      return { action: 'give-up', reason: `a retry in ${decision.delayMs} ms would pass the task deadline` };
    }
    return decision;
  }

  /** Caught and not retried: run `do` in document order, or succeed with `{<as>: error}`. */
  private async recover(handler: CatchDefinition, problem: ProblemDetails): Promise<TaskOutcome> {
    if (handler.do.length === 0) return succeeded({ [handler.as]: problem }, this.resolvedInput(undefined));
    const result = await this.runTasks(handler.do, { problem, as: handler.as });
    if (!result.ok) return this.fail(result.error.withData({ caught_error: problem.detail ?? problem.type }), result.output, result.resolvedInput);
    return succeeded(result.output, this.resolvedInput(result.resolvedInput));
  }

  /**
   * Runs tasks in order through their handlers; the first failure stops the list. Recovery tasks
   * get the caught error as `input.<as>`, and their `${…}` parameters see it as `.<as>`/`$<as>`.
   */
  private async runTasks(tasks: readonly InnerTaskDefinition[], recovering?: { problem: ProblemDetails; as: string }): Promise<TasksResult> {
    let output: unknown = {};
    let resolvedInput: JsonObject | undefined;
    for (const [index, task] of tasks.entries()) {
      const input: JsonObject = { ...this.baseInput, ...(task.input ?? {}) };
      let parameters = task.parameters;
      if (recovering) {
        input[recovering.as] = recovering.problem;
        try {
          parameters = await this.resolveWithError(parameters, recovering.problem, recovering.as);
        } catch (error) {
          if (isWorkflowError(error)) return { ok: false, error, output: {}, resolvedInput: undefined };
          throw error;
        }
      }
      // While this try retries the inner task itself, the task must not retry on its own (attempts never multiply).
      const outcome = await this.context.runInner(task.taskType, parameters, input, {
        workflowRetries: !recovering && this.policy !== undefined,
        // Every attempt of an inner task is the same operation (one Idempotency-Key across retries).
        position: `${recovering ? 'catch' : 'try'}/${index}`,
      });
      if (!outcome.success) return { ok: false, error: outcome.error, output: outcome.output, resolvedInput: outcome.resolvedInput };
      try {
        output = await transformOutput(this.context, task.outputAs, outcome.output);
      } catch (error) {
        if (isWorkflowError(error)) return { ok: false, error, output: outcome.output, resolvedInput: outcome.resolvedInput };
        throw error;
      }
      resolvedInput = outcome.resolvedInput;
    }
    return { ok: true, output, resolvedInput };
  }

  /** jq `… as $name |` bindings that expose the error as `$error` and `$<as>`. */
  private bindings(as: string): string {
    const names = as === 'error' || !IDENTIFIER.test(as) ? ['error'] : ['error', as];
    return names.map((name) => `.[${JSON.stringify(name)}] as $${name} | `).join('');
  }

  private errorScope(problem: ProblemDetails, as: string): Record<string, unknown> {
    return { error: problem, [as]: problem };
  }

  /** A `when`/`exceptWhen` over the task scope plus the error; true unless the result is false or null. */
  private async holds(expression: string, problem: ProblemDetails, as: string): Promise<boolean> {
    const body = expressionBody(expression) ?? expression.trim();
    const value = await this.context.resolve(`\${ ${this.bindings(as)}(${body}) }`, this.errorScope(problem, as));
    return value !== false && value !== null && value !== undefined;
  }

  private async resolveWithError(parameters: JsonObject, problem: ProblemDetails, as: string): Promise<JsonObject> {
    const prefix = this.bindings(as);
    return (await this.context.resolve(rewriteExpressions(parameters, (body) => `${prefix}(${body})`), this.errorScope(problem, as))) as JsonObject;
  }
}
