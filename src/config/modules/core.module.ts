import { ContainerModule } from 'inversify';
import { ExecutorLoop } from '../../application/executor-loop';
import { CallTaskHandler } from '../../application/handlers/call/call.handler';
import { InjectTaskHandler } from '../../application/handlers/inject.handler';
import { SetTaskHandler } from '../../application/handlers/set.handler';
import { TaskHandlerRegistry } from '../../application/handlers/task-handler-registry';
import { TryTaskHandler } from '../../application/handlers/try/try.handler';
import { WaitTaskHandler } from '../../application/handlers/wait.handler';
import { CircuitBreaker } from '../../application/ports/circuit-breaker.port';
import { Clock } from '../../application/ports/clock.port';
import { ExpressionEvaluator } from '../../application/ports/expression-evaluator.port';
import { HttpClient } from '../../application/ports/http-client.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { PatternMatcher } from '../../application/ports/pattern-matcher.port';
import { Random } from '../../application/ports/random.port';
import { TaskHandler } from '../../application/ports/task-handler.port';
import { TaskInbox } from '../../application/ports/task-inbox.port';
import { TOKENS } from '../../application/ports/tokens';
import { DeadLetterTask } from '../../application/use-cases/dead-letter-task.use-case';
import { ExecuteTask } from '../../application/use-cases/execute-task.use-case';
import { ProcessDelivery } from '../../application/use-cases/process-delivery.use-case';
import { RetryPolicy } from '../../domain/retry-policy';
import { AppConfig } from '../env';

const HANDLERS = { isMultiple: true, serviceIdentifier: TOKENS.TaskHandler } as const;
const DeadLetterToken = Symbol('DeadLetterTask');
const RegistryToken = Symbol('TaskHandlerRegistry');

/** Use cases, handlers and the loop: plain classes, bound with factories (no decorators). */
export const coreModule = new ContainerModule(({ bind }) => {
  bind<TaskHandler>(TOKENS.TaskHandler).toResolvedValue(() => new SetTaskHandler());
  bind<TaskHandler>(TOKENS.TaskHandler).toResolvedValue((clock: Clock) => new InjectTaskHandler(clock), [TOKENS.Clock]);
  bind<TaskHandler>(TOKENS.TaskHandler).toResolvedValue((clock: Clock) => new WaitTaskHandler(clock), [TOKENS.Clock]);
  bind<TaskHandler>(TOKENS.TaskHandler).toResolvedValue(
    (http: HttpClient, breaker: CircuitBreaker, documents: OpenApiDocumentSource, clock: Clock, config: AppConfig) =>
      new CallTaskHandler(http, breaker, documents, clock, { idempotencyKeys: config.call.idempotencyKeys }),
    [TOKENS.HttpClient, TOKENS.CircuitBreaker, TOKENS.OpenApiDocumentSource, TOKENS.Clock, TOKENS.Config],
  );
  bind<TaskHandler>(TOKENS.TaskHandler).toResolvedValue(
    (clock: Clock, random: Random, metrics: Metrics, patterns: PatternMatcher) => new TryTaskHandler(clock, random, metrics, patterns),
    [TOKENS.Clock, TOKENS.Random, TOKENS.Metrics, TOKENS.PatternMatcher],
  );

  bind(RegistryToken).toResolvedValue((handlers: TaskHandler[]) => new TaskHandlerRegistry(handlers), [HANDLERS]);
  bind(TOKENS.ExecuteTask).toResolvedValue(
    (registry: TaskHandlerRegistry, clock: Clock, evaluator: ExpressionEvaluator, config: AppConfig) =>
      new ExecuteTask(registry, clock, evaluator, { defaultTimeoutMs: config.executor.taskTimeoutMs }),
    [RegistryToken, TOKENS.Clock, TOKENS.ExpressionEvaluator, TOKENS.Config],
  );
  bind(DeadLetterToken).toResolvedValue((clock: Clock) => new DeadLetterTask(clock), [TOKENS.Clock]);
  bind(TOKENS.ProcessDelivery).toResolvedValue(
    (execute: ExecuteTask, deadLetter: DeadLetterTask, clock: Clock, random: Random, metrics: Metrics, logger: Logger, config: AppConfig) =>
      new ProcessDelivery(execute, deadLetter, clock, random, metrics, logger, {
        retry: processingRetryPolicy(config),
        maxDeliveries: config.executor.maxDeliveries,
        maxEntryBytes: config.limits.maxEntryBytes,
        maxJsonDepth: config.limits.maxJsonDepth,
      }),
    [TOKENS.ExecuteTask, DeadLetterToken, TOKENS.Clock, TOKENS.Random, TOKENS.Metrics, TOKENS.Logger, TOKENS.Config],
  );
  bind(TOKENS.ExecutorLoop).toResolvedValue(
    (inbox: TaskInbox, process: ProcessDelivery, clock: Clock, metrics: Metrics, logger: Logger, config: AppConfig) =>
      new ExecutorLoop(inbox, process, clock, metrics, logger, {
        concurrency: config.executor.concurrency,
        errorBackoffMs: 500,
        keepAliveIntervalMs: keepAliveIntervalMs(config),
      }),
    [TOKENS.TaskInbox, TOKENS.ProcessDelivery, TOKENS.Clock, TOKENS.Metrics, TOKENS.Logger, TOKENS.Config],
  );
});

/**
 * How often running tasks renew their entry and their task claim: a third of the reclaim idle time
 * (at least 1 s). Also when reclaiming is off, since the claim must outlive long tasks.
 */
export function keepAliveIntervalMs(config: AppConfig): number {
  return Math.max(1000, Math.floor(config.stream.reclaimIdleMs / 3));
}

/** How long a task claim lasts without renewal: the reclaim idle time, and at least three keep-alive periods. */
export function taskLeaseMs(config: AppConfig): number {
  return Math.max(config.stream.reclaimIdleMs, 3 * keepAliveIntervalMs(config));
}

/** Processing retries: RETRY_BASE_DELAY_MS doubling per attempt, capped at 30 s, RETRY_MAX_ATTEMPTS in all. */
export function processingRetryPolicy(config: AppConfig): RetryPolicy {
  return new RetryPolicy({
    delayMs: config.retry.baseDelayMs,
    backoff: { kind: 'exponential', multiplier: 2 },
    maxDelayMs: 30_000,
    maxAttempts: config.retry.maxAttempts,
    retryOn: 'any',
  });
}
