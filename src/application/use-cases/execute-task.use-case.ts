import { JsonObject } from '../../domain/json';
import { TaskRequest } from '../../domain/task-request';
import { failed, TaskOutcome, TaskResult } from '../../domain/task-result';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { TaskHandlerRegistry } from '../handlers/task-handler-registry';
import { Deadline, DeadlineTimers } from '../deadline-timers';
import { resolveTemplate } from '../resolve-template';
import { Clock } from '../ports/clock.port';
import { ExpressionEvaluator } from '../ports/expression-evaluator.port';
import { Logger } from '../ports/logger.port';
import { InnerTaskOptions, TaskContext } from '../ports/task-handler.port';

export interface ExecuteTaskSettings {
  /** Deadline for a task whose request has no `config.timeout`, in ms (TASK_TIMEOUT_SECONDS). */
  defaultTimeoutMs: number;
}

export interface ExecuteTaskInput {
  request: TaskRequest;
  attempt: number;
  logger: Logger;
  /** Aborts when the service is forced to stop. */
  shutdown: AbortSignal;
  /** The key under which the task's outcome is recorded (the task id, or its replay key); default the task id. */
  operationKey?: string;
}

/** The data runtime expressions see (docs/protocol.md, section 3). */
export function expressionScope(request: TaskRequest): JsonObject {
  const { context, input } = request;
  return {
    input: context.workflowInput ?? input,
    task_input: input,
    workflow_input: context.workflowInput ?? {},
    variables: context.variables,
    task_outputs: context.taskOutputs,
    context: context.raw,
  };
}

/**
 * Runs one task through its handler within its deadline. Expected failures come back as a
 * failed outcome; only bugs (non-WorkflowError exceptions) are thrown, for processing retries.
 * Throws a `validation` WorkflowError (UNKNOWN_TASK_TYPE) when no handler exists.
 */
/**
 * An AbortController made only when a handler reads the signal or the task is cancelled:
 * most tasks (set, inject) never look at it, and building one per task was measurable.
 */
class LazyAbortController {
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    this.controller.abort(reason);
  }
}

export class ExecuteTask {
  /** Controllers of the tasks now running, cancelled together when the service is forced to stop. */
  private readonly running = new Set<LazyAbortController>();
  private readonly watched = new WeakSet<AbortSignal>();
  /** One timer per timeout length rather than a timer and an AbortController per task. */
  private readonly deadlines: DeadlineTimers;

  constructor(
    private readonly handlers: TaskHandlerRegistry,
    private readonly clock: Clock,
    private readonly evaluator: ExpressionEvaluator,
    private readonly settings: ExecuteTaskSettings,
  ) {
    this.deadlines = new DeadlineTimers(clock);
  }

  /** How long the task may run (its `config.timeout`, else the default), ms. */
  timeoutOf(request: TaskRequest): number {
    return request.config.timeoutMs ?? this.settings.defaultTimeoutMs;
  }

  canHandle(taskType: string): boolean {
    return this.handlers.find(taskType) !== undefined;
  }

  unknownTypeError(taskType: string): WorkflowError {
    const known = this.handlers.types().join(', ');
    const detail = taskType === '' ? `task has no task_type (supported: ${known})` : `unsupported task type: ${taskType} (supported: ${known})`;
    return errors.validation(detail, 'UNKNOWN_TASK_TYPE');
  }

  async execute({ request, attempt, logger, shutdown, operationKey }: ExecuteTaskInput): Promise<TaskResult> {
    const startedAtMs = this.clock.now();
    const timeoutMs = request.config.timeoutMs ?? this.settings.defaultTimeoutMs;
    const deadline = startedAtMs + timeoutMs;
    const controller = new LazyAbortController();
    this.watchShutdown(shutdown);
    if (shutdown.aborted) controller.abort(errors.cancelled('task cancelled: executor shutting down'));
    else this.running.add(controller);
    let deadlineTimer: Deadline | undefined;
    const expired = new Promise<TaskOutcome>((resolve) => {
      deadlineTimer = this.deadlines.add(timeoutMs, () => {
        // Built only when it fires: a WorkflowError captures a stack trace, too dear per task.
        const timeoutError = errors.timeout(`task exceeded its timeout of ${timeoutMs} ms`, { timeout_ms: timeoutMs });
        controller.abort(timeoutError);
        resolve(failed(timeoutError));
      });
    });

    const context = this.contextFor(request, controller, deadline, logger, operationKey ?? request.taskId);
    let outcome: TaskOutcome;
    try {
      const run = this.runHandler(request.taskType, context);
      outcome = await Promise.race([run, expired]);
    } finally {
      if (deadlineTimer) this.deadlines.cancel(deadlineTimer);
      this.running.delete(controller);
    }
    return { outcome, taskType: request.taskType, startedAtMs, completedAtMs: this.clock.now(), attempt };
  }

  /**
   * One listener per shutdown signal for all running tasks, rather than one per task: cheaper,
   * and no MaxListenersExceeded warning when more than ten tasks run at once.
   */
  private watchShutdown(shutdown: AbortSignal): void {
    if (this.watched.has(shutdown)) return;
    this.watched.add(shutdown);
    shutdown.addEventListener(
      'abort',
      () => {
        const running = [...this.running];
        this.running.clear();
        for (const controller of running) controller.abort(errors.cancelled('task cancelled: executor shutting down'));
      },
      { once: true },
    );
  }

  private async runHandler(taskType: string, context: TaskContext): Promise<TaskOutcome> {
    const handler = this.handlers.find(taskType);
    if (!handler) return failed(this.unknownTypeError(taskType));
    try {
      return await handler.execute(context);
    } catch (error) {
      if (isWorkflowError(error)) return failed(error.withInstance(`/tasks/${context.request.taskId}`));
      throw error;
    }
  }

  private contextFor(request: TaskRequest, controller: LazyAbortController, deadline: number, logger: Logger, operationKey: string, workflowRetries = false): TaskContext {
    // Built on first use: most tasks carry no expression at all.
    let scope: JsonObject | undefined;
    let variables: Record<string, unknown> | undefined;
    const scopeOf = (): JsonObject => (scope ??= expressionScope(request));
    const variablesOf = (): Record<string, unknown> =>
      (variables ??= {
        input: request.input,
        context: request.context.raw,
        workflow: { id: request.workflowId, input: request.context.workflowInput ?? {} },
        task: { name: request.taskName, id: request.taskId },
      });
    const resolve = (value: unknown, extra?: Record<string, unknown>): Promise<unknown> =>
      resolveTemplate(
        this.evaluator,
        value,
        { layers: extra ? [scopeOf(), extra] : [scopeOf()], variables: variablesOf() },
        // The task's remaining time; the evaluation is stopped with the task (deadline, shutdown).
        { timeoutMs: Math.max(1, deadline - this.clock.now()), signal: controller.signal, share: request.tenantId },
      );
    const context: TaskContext = {
      request,
      get signal() {
        return controller.signal;
      },
      deadline,
      logger,
      workflowRetries,
      operationKey,
      taskTypes: this.handlers.types(),
      get scope() {
        return scopeOf();
      },
      resolve,
      runInner: (taskType: string, parameters: JsonObject, input?: JsonObject, options?: InnerTaskOptions) => {
        const inner: TaskRequest = {
          ...request,
          taskType,
          input: input ?? request.input,
          config: { ...request.config, parameters },
        };
        const key = options?.position ? `${operationKey}/${options.position}` : operationKey;
        return this.runHandler(taskType, this.contextFor(inner, controller, deadline, logger, key, options?.workflowRetries ?? workflowRetries));
      },
    };
    return context;
  }
}
