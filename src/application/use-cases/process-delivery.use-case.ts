import { messageTooLargeError } from '../../domain/message-size';
import { FlunqEvent, traceContextOf, withTraceContext } from '../../domain/flunq-event';
import { buildCompletedPayload, completedEvent, identityOfRequest } from '../../domain/flunq-events';
import { publishableInput } from '../../domain/publishable-input';
import { redactText, redactUrl, sensitiveTexts } from '../../domain/redaction';
import { RetryPolicy } from '../../domain/retry-policy';
import { identityOfEvent, parseTaskRequest, TASK_REQUESTED, TaskIdentity, TaskRequest } from '../../domain/task-request';
import { durationMs, TaskResult } from '../../domain/task-result';
import { errors, toWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { Clock } from '../ports/clock.port';
import { Logger } from '../ports/logger.port';
import { Metrics } from '../ports/metrics.port';
import { Random } from '../ports/random.port';
import { InboundTask } from '../ports/task-inbox.port';
import { TaskSpan, TraceContext, Tracer } from '../ports/tracer.port';
import { DeadLetterTask } from './dead-letter-task.use-case';
import { ExecuteTask } from './execute-task.use-case';

export interface ProcessDeliverySettings {
  /** Processing retries (RETRY_MAX_ATTEMPTS / RETRY_BASE_DELAY_MS). */
  retry: RetryPolicy;
  /** Deliveries of one message after which it is dead-lettered without running again. */
  maxDeliveries: number;
  /** Largest request message accepted, in bytes as the backend carried it (EXECUTOR_MAX_ENTRY_BYTES). */
  maxMessageBytes: number;
  /** Deepest nesting of arrays and objects accepted in a request's `data` (EXECUTOR_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
}

export type ProcessResult = 'ignored' | 'duplicate' | 'completed' | 'failed' | 'dead_lettered' | 'stranded';

/**
 * One inbound task from receipt to acknowledgement:
 * size check → parse → idempotency check → claim the task → execute → build the completion →
 * publish it and acknowledge atomically (processing retries) → or dead-letter.
 * Never acknowledges before the outcome is written; never throws. Whatever goes wrong with the
 * request or its outcome is dead-lettered on this delivery with its real cause; only an
 * unavailable backend leaves the delivery pending.
 */
export class ProcessDelivery {
  constructor(
    private readonly executeTask: ExecuteTask,
    private readonly deadLetter: DeadLetterTask,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly tracer: Tracer,
    private readonly settings: ProcessDeliverySettings,
  ) {}

  /**
   * `onDeadline` is told when the task must have finished (epoch ms), once its request is read:
   * the loop renews the delivery until then, plus a grace period for publication.
   */
  async execute(task: InboundTask, shutdown: AbortSignal, onDeadline?: (deadlineMs: number) => void): Promise<ProcessResult> {
    try {
      return await this.process(task, shutdown, onDeadline);
    } catch (error) {
      // Only reached when even the dead-letter path failed: the delivery stays with the backend for recovery.
      this.logger.error('delivery left pending after processing failed', { origin: task.origin, error: toWorkflowError(error).detail });
      return 'stranded';
    }
  }

  private async process(task: InboundTask, shutdown: AbortSignal, onDeadline?: (deadlineMs: number) => void): Promise<ProcessResult> {
    if (task.event.type !== TASK_REQUESTED) {
      await this.withRetries('acknowledge', () => task.discard());
      return 'ignored';
    }
    const attempt = task.attempt;
    // Before anything parses `data`: an oversize message is refused from its attributes alone.
    const size = task.sizeBytes;
    if (size > this.settings.maxMessageBytes) return this.sendToDeadLetter(task, messageTooLargeError(size, this.settings.maxMessageBytes), identityOfEvent(task.event), attempt, '', undefined, true);
    const parsed = parseTaskRequest(task.event, this.settings.maxJsonDepth);
    if (!parsed.ok) return this.sendToDeadLetter(task, parsed.error, parsed.identity, attempt, '');

    const { request } = parsed;
    const identity = identityOfRequest(request);
    const log = this.logger.child({
      workflowId: request.workflowId,
      executionId: request.executionId,
      taskId: request.taskId,
      taskType: request.taskType,
      attempt,
    });
    if (attempt > this.settings.maxDeliveries) {
      const error = new WorkflowError({
        kind: 'runtime',
        code: 'RETRIES_EXHAUSTED',
        title: 'Delivery Limit Reached',
        detail: `event was delivered ${attempt} times without reaching an outcome (limit ${this.settings.maxDeliveries})`,
      });
      return this.sendToDeadLetter(task, error, identity, attempt, request.taskType, undefined, false, traceContextOf(task.event));
    }
    // Whether the task already has an outcome, and whether another message of the same task is
    // running right now (published twice, overlapping): only the holder of the claim runs it.
    // Discarding this copy loses nothing: the holder's message stays with the backend until it
    // settles, and is redelivered if its executor dies.
    const claim = await this.withRetries('claim', () => task.claim());
    if (claim === 'settled') return this.skipDuplicate(task, request.taskType, log, 'task already has an outcome; skipped');
    if (claim === 'running') return this.skipDuplicate(task, request.taskType, log, 'another copy of this task is running; skipped');
    if (!this.executeTask.canHandle(request.taskType)) {
      // Not run, so no task span: the dead letter and the completion carry the request's own trace context.
      return this.sendToDeadLetter(task, this.executeTask.unknownTypeError(request.taskType), identity, attempt, request.taskType, undefined, false, traceContextOf(task.event));
    }

    this.metrics.taskStarted(request.taskType);
    const span = this.tracer.startTask(traceContextOf(task.event), {
      taskId: request.taskId,
      taskName: request.taskName,
      taskType: request.taskType,
      workflowId: request.workflowId,
      executionId: request.executionId,
      tenantId: request.tenantId,
      attempt,
    });
    try {
      return await this.runAndPublish(task, request, identity, attempt, log, shutdown, span, onDeadline);
    } finally {
      span.end();
    }
  }

  private async runAndPublish(
    task: InboundTask,
    request: TaskRequest,
    identity: TaskIdentity,
    attempt: number,
    log: Logger,
    shutdown: AbortSignal,
    span: TaskSpan,
    onDeadline?: (deadlineMs: number) => void,
  ): Promise<ProcessResult> {
    const startedAtMs = this.clock.now();
    onDeadline?.(startedAtMs + this.executeTask.timeoutOf(request));
    let result: TaskResult;
    try {
      // Never re-run a handler: it may already have had side effects (a POST sent).
      result = await span.run(() => this.executeTask.execute({ request, attempt, logger: log, shutdown, operationKey: `${request.tenantId}/${task.idempotencyKey || request.taskId}` }));
    } catch (error) {
      const cause = errors.runtime(`internal error while executing the task: ${toWorkflowError(error).detail}`, error);
      span.fail(cause.code);
      return this.sendToDeadLetter(task, cause, identity, attempt, request.taskType, startedAtMs, false, span.context);
    }
    if (!result.outcome.success) span.fail(result.outcome.error.code);

    let completion: FlunqEvent;
    try {
      // Hostile output (a cycle, a BigInt, nesting deeper than the stack) must not strand the
      // delivery: left pending, it would only fail the same way on each redelivery.
      completion = withTraceContext(completedEvent(identity, buildCompletedPayload(identity, result, publishableInput(request.input)), this.clock.now()), span.context);
    } catch (error) {
      const cause = new WorkflowError({
        kind: 'runtime',
        code: 'OUTCOME_FAILED',
        title: 'Outcome Not Publishable',
        detail: `the task ran but its outcome could not be built: ${failureText(error)}`,
      });
      span.fail(cause.code);
      return this.sendToDeadLetter(task, cause, identity, attempt, request.taskType, startedAtMs, false, span.context);
    }
    try {
      await this.withRetries('publish completion', () => task.complete(completion), request.taskType);
    } catch (error) {
      const cause = new WorkflowError({
        kind: 'runtime',
        code: 'PUBLICATION_FAILED',
        title: 'Publication Failed',
        detail: `could not publish the task completion: ${toWorkflowError(error).detail}`,
        cause: error,
      });
      span.fail(cause.code);
      return this.sendToDeadLetter(task, cause, identity, attempt, request.taskType, startedAtMs, false, span.context);
    }
    const outcome = result.outcome.success ? 'success' : 'failure';
    const ms = durationMs(result);
    this.metrics.taskFinished(request.taskType, outcome, ms);
    if (result.outcome.success) {
      log.info('task completed', { outcome, durationMs: ms });
      return 'completed';
    }
    // An operator sees why without opening the stream; the detail is blanked of the request's secret values, as in the published completion.
    const { error } = result.outcome;
    log.warn('task completed', { outcome, durationMs: ms, errorCode: error.code, detail: failureDetail(error, request) });
    return 'failed';
  }

  private async skipDuplicate(task: InboundTask, taskType: string, log: Logger, message: string): Promise<ProcessResult> {
    await this.withRetries('acknowledge', () => task.discard());
    this.metrics.taskFinished(taskType || 'unknown', 'duplicate', 0);
    log.info(message, { outcome: 'duplicate' });
    return 'duplicate';
  }

  private async sendToDeadLetter(
    task: InboundTask,
    error: WorkflowError,
    identity: TaskIdentity,
    attempt: number,
    taskType: string,
    startedAtMs?: number,
    omitData = false,
    trace?: TraceContext,
  ): Promise<ProcessResult> {
    const built = this.deadLetter.execute({ error, identity, attempt, taskType, startedAtMs });
    const note = trace ? { ...built.note, trace } : built.note;
    const completion = built.completion && withTraceContext(built.completion, trace);
    if (omitData) note.omitData = true;
    // Recorded under the task's key (a replay has its own), so a replayed dead letter is published again.
    await this.withRetries('publish dead letter', () => task.deadLetter(note, completion), taskType);
    this.metrics.deadLetter(error.code);
    this.metrics.taskFinished(taskType || 'unknown', 'dead_letter', 0);
    this.logger.error('event dead-lettered', {
      origin: task.origin,
      workflowId: identity.workflowId,
      executionId: identity.executionId,
      taskId: identity.taskId,
      taskType,
      attempt,
      outcome: 'dead_letter',
      reason: error.code,
      detail: error.detail,
    });
    return 'dead_lettered';
  }

  /** Processing retries: backoff from RETRY_BASE_DELAY_MS, at most RETRY_MAX_ATTEMPTS attempts in all. */
  private async withRetries<T>(what: string, action: () => Promise<T>, taskType = 'unknown'): Promise<T> {
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        const cause = toWorkflowError(error);
        const decision = this.settings.retry.decide({ attempt, elapsedMs: this.clock.now() - started, error: cause, random: this.random.next() });
        if (decision.action === 'give-up') throw error;
        this.metrics.retry('processing', taskType);
        this.logger.warn(`${what} failed; retrying`, { attempt, delayMs: decision.delayMs, error: cause.detail });
        await this.clock.sleep(decision.delayMs);
      }
    }
  }
}

/** What a thrown value says, safely (it may be anything) and briefly. */
function failureText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'string' ? error : `a thrown ${typeof error}`;
  } catch {
    text = 'an unreadable error';
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Longest error detail written to a log line, in characters. */
const MAX_LOGGED_DETAIL = 500;

const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;

/** A failed task's detail for the log: the request's secret values blanked out, credentials cut from URLs, bounded in length. */
function failureDetail(error: WorkflowError, request: TaskRequest): string {
  const text = redactText(error.detail || error.message, sensitiveTexts([request.input, request.context, request.config]));
  const detail = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  return detail.length > MAX_LOGGED_DETAIL ? `${detail.slice(0, MAX_LOGGED_DETAIL)}…` : detail;
}
