import { ContainerModule } from 'inversify';
import { ExecutorLoop } from '../../application/executor-loop';
import { CallTaskHandler } from '../../application/handlers/call/call.handler';
import { InjectTaskHandler } from '../../application/handlers/inject.handler';
import { RaiseTaskHandler } from '../../application/handlers/raise.handler';
import { SetTaskHandler } from '../../application/handlers/set.handler';
import { TaskHandlerRegistry } from '../../application/handlers/task-handler-registry';
import { TryTaskHandler } from '../../application/handlers/try/try.handler';
import { WaitTaskHandler } from '../../application/handlers/wait.handler';
import { DeadLetterTask } from '../../application/use-cases/dead-letter-task.use-case';
import { ExecuteTask } from '../../application/use-cases/execute-task.use-case';
import { ProcessDelivery } from '../../application/use-cases/process-delivery.use-case';
import { RetryPolicy } from '../../domain/retry-policy';
import { allOf, anyOf, bindFactory } from '../binding';
import { AppConfig, RetrySettings, StreamSettings } from '../env';
import {
  CALL_PROTOCOL,
  CIRCUIT_BREAKER,
  CLOCK,
  DEAD_LETTER_TASK,
  EXECUTE_TASK,
  EXECUTOR_LOOP,
  EXPRESSION_EVALUATOR,
  HTTP_CLIENT,
  LOGGER,
  METRICS,
  OPENAPI_DOCUMENT_SOURCE,
  OUTBOUND_CALLS,
  PATTERN_MATCHER,
  PROCESS_DELIVERY,
  RANDOM,
  TASK_HANDLER,
  TASK_HANDLER_REGISTRY,
  TASK_INBOX,
  TRACER,
} from '../tokens';

/** Use cases, handlers and the loop: plain classes, bound with factories (no decorators). */
export function coreModule(settings: Pick<AppConfig, 'executor' | 'retry' | 'limits' | 'call' | 'stream'>): ContainerModule {
  const { executor, limits } = settings;
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, TASK_HANDLER, [], () => new SetTaskHandler());
    bindFactory(bind, TASK_HANDLER, [CLOCK], (clock) => new InjectTaskHandler(clock));
    bindFactory(bind, TASK_HANDLER, [CLOCK], (clock) => new WaitTaskHandler(clock));
    bindFactory(bind, TASK_HANDLER, [], () => new RaiseTaskHandler());
    bindFactory(
      bind,
      TASK_HANDLER,
      [HTTP_CLIENT, CIRCUIT_BREAKER, OPENAPI_DOCUMENT_SOURCE, CLOCK, anyOf(CALL_PROTOCOL), METRICS, OUTBOUND_CALLS],
      (http, breaker, documents, clock, protocols, metrics, outbound) =>
        new CallTaskHandler(http, breaker, documents, clock, { idempotencyKeys: settings.call.idempotencyKeys, maxJsonDepth: limits.maxJsonDepth, validate: settings.call.validate, maxRequestBytes: settings.call.maxRequestBytes, credentials: settings.call.credentials, securityRequirements: settings.call.securityRequirements }, protocols, metrics, outbound),
    );
    bindFactory(bind, TASK_HANDLER, [CLOCK, RANDOM, METRICS, PATTERN_MATCHER], (clock, random, metrics, patterns) => new TryTaskHandler(clock, random, metrics, patterns));

    bindFactory(bind, TASK_HANDLER_REGISTRY, [allOf(TASK_HANDLER), METRICS], (handlers, metrics) => {
      const registry = new TaskHandlerRegistry(handlers);
      metrics.declareTaskTypes(registry.types());
      return registry;
    });
    bindFactory(
      bind,
      EXECUTE_TASK,
      [TASK_HANDLER_REGISTRY, CLOCK, EXPRESSION_EVALUATOR],
      (registry, clock, evaluator) => new ExecuteTask(registry, clock, evaluator, { defaultTimeoutMs: executor.taskTimeoutMs }),
    );
    bindFactory(bind, DEAD_LETTER_TASK, [CLOCK], (clock) => new DeadLetterTask(clock));
    bindFactory(
      bind,
      PROCESS_DELIVERY,
      [EXECUTE_TASK, DEAD_LETTER_TASK, CLOCK, RANDOM, METRICS, LOGGER, TRACER],
      (execute, deadLetter, clock, random, metrics, logger, tracer) =>
        new ProcessDelivery(execute, deadLetter, clock, random, metrics, logger, tracer, {
          retry: processingRetryPolicy(settings.retry),
          maxDeliveries: executor.maxDeliveries,
          maxMessageBytes: limits.maxEntryBytes,
          maxJsonDepth: limits.maxJsonDepth,
        }),
    );
    bindFactory(
      bind,
      EXECUTOR_LOOP,
      [TASK_INBOX, PROCESS_DELIVERY, CLOCK, METRICS, LOGGER],
      (inbox, process, clock, metrics, logger) =>
        new ExecutorLoop(inbox, process, clock, metrics, logger, {
          concurrency: executor.concurrency,
          fair: { ...executor.fair, activityWindowMs: FAIR_ACTIVITY_WINDOW_MS },
          errorBackoffMs: 500,
          keepAliveIntervalMs: keepAliveIntervalMs(settings.stream),
          defaultHoldMs: executor.taskTimeoutMs,
          // Publication with its processing retries (each delay capped at 30 s), and then some.
          overrunGraceMs: Math.max(120_000, settings.stream.reclaimIdleMs),
        }),
    );
  });
}

/** How long a tenant counts as active after its last task, for the fair-dispatch reserve (README). */
export const FAIR_ACTIVITY_WINDOW_MS = 60_000;

/**
 * How often running tasks renew their entry and their task claim: a third of the reclaim idle time
 * (at least 1 s). Also when reclaiming is off, since the claim must outlive long tasks.
 */
export function keepAliveIntervalMs(stream: Pick<StreamSettings, 'reclaimIdleMs'>): number {
  return Math.max(1000, Math.floor(stream.reclaimIdleMs / 3));
}

/** How long a task claim lasts without renewal: the reclaim idle time, and at least three keep-alive periods. */
export function taskLeaseMs(stream: Pick<StreamSettings, 'reclaimIdleMs'>): number {
  return Math.max(stream.reclaimIdleMs, 3 * keepAliveIntervalMs(stream));
}

/** Processing retries: RETRY_BASE_DELAY_MS doubling per attempt, capped at 30 s, RETRY_MAX_ATTEMPTS in all. */
export function processingRetryPolicy(retry: RetrySettings): RetryPolicy {
  return new RetryPolicy({
    delayMs: retry.baseDelayMs,
    backoff: { kind: 'exponential', multiplier: 2 },
    maxDelayMs: 30_000,
    maxAttempts: retry.maxAttempts,
    retryOn: 'any',
  });
}
