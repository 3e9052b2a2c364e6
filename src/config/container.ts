import { Container, ContainerModule } from 'inversify';
import { ExecutorLoop } from '../application/executor-loop';
import { ListDeadLetters } from '../application/operations/list-dead-letters.use-case';
import { PurgeDeadLetters } from '../application/operations/purge-dead-letters.use-case';
import { ReplayDeadLetters } from '../application/operations/replay-dead-letters.use-case';
import { ResolveDeadLetters } from '../application/operations/resolve-dead-letters.use-case';
import { ShowDeadLetter } from '../application/operations/show-dead-letter.use-case';
import { ShowTask } from '../application/operations/show-task.use-case';
import { SubmitTask } from '../application/operations/submit-task.use-case';
import { Logger } from '../application/ports/logger.port';
import { TaskInbox } from '../application/ports/task-inbox.port';
import { HealthServer } from '../adapters/express/health-server';
import { Replacement } from './binding';
import { AppConfig } from './env';
import { breakerModule } from './modules/breaker.module';
import { consoleModule } from './modules/console.module';
import { coreModule } from './modules/core.module';
import { expressionsModule } from './modules/expressions.module';
import { healthModule } from './modules/health.module';
import { httpModule } from './modules/http.module';
import { memoryDocumentCacheModule, memoryStreamModule } from './modules/memory.module';
import { natsDocumentCacheModule, natsStreamModule } from './modules/nats.module';
import { documentCacheSettings, openApiModule } from './modules/openapi.module';
import { operationsModule } from './modules/operations.module';
import { patternModule } from './modules/pattern.module';
import { redisDocumentCacheModule, redisStreamModule } from './modules/redis.module';
import { SystemOptions, systemModule } from './modules/system.module';
import { tracingModule } from './modules/tracing.module';
import { graphqlModule } from './modules/graphql.module';
import { grpcModule } from './modules/grpc.module';
import { asyncApiModule } from './modules/asyncapi.module';
import { rateLimitModule } from './modules/rate-limit.module';
import { ExecutorService } from './service';
import { GRPC_CLIENT, RATE_LIMITER } from './tokens';
import { CIRCUIT_BREAKER, EXECUTOR_LOOP, HEALTH_SERVER, HTTP_CLIENT, LIST_DEAD_LETTERS, LOGGER, PURGE_DEAD_LETTERS, REPLAY_DEAD_LETTERS, RESOLVE_DEAD_LETTERS, SHOW_DEAD_LETTER, SUBMIT_TASK, TASK_INBOX, TASK_SUBMISSION, TRACING } from './tokens';
import { SHOW_TASK } from './tokens';
import { MESSAGE_BROKERS } from './tokens';

/**
 * The composition root: the only code that picks adapter families and asks the container for
 * objects. The service (`main.ts`), the CLI, the embedded mode and the tests all build their
 * executor here; the test profile (fake clock, seeded random, recording logger and metrics) lives
 * with the tests and loads `applicationModules` with its own doubles.
 *
 * - `production`: the configured broker (Redis Streams or NATS JetStream), system clock, JSON logs, Prometheus metrics.
 * - `embedded`: the same service on the in-process stream (EVENT_STREAM_TYPE=memory).
 */
export type Profile = 'production' | 'embedded';

export function profileFor(config: AppConfig): Profile {
  return config.stream.type === 'memory' ? 'embedded' : 'production';
}

/** What every profile loads: the core, the inbound operations, the outbound adapters and the health server. */
export function applicationModules(config: AppConfig): ContainerModule[] {
  return [
    coreModule(config),
    operationsModule(config.executor),
    healthModule(config),
    httpModule(config.http, config.tracing.exporter !== 'none' || config.tracing.record),
    tracingModule(config.tracing),
    breakerModule(config.breaker),
    openApiModule(config.openApi, config.http),
    patternModule,
    expressionsModule(config),
    consoleModule(config),
    graphqlModule(config),
    grpcModule(config, config.tracing.exporter !== 'none' || config.tracing.record),
    asyncApiModule(config.http, config.limits.maxJsonDepth, config.asyncApi, config.tracing.exporter !== 'none' || config.tracing.record),
    rateLimitModule(config),
  ];
}

/**
 * The stream backends by EVENT_STREAM_TYPE, each an adapter family's module binding the task inbox
 * (and, where the backend has them, dead letters and task submission). A new backend is one entry.
 */
const STREAM_BACKENDS: Record<AppConfig['stream']['type'], (config: AppConfig) => ContainerModule> = {
  redis: (config) => redisStreamModule(config.redis, config.stream),
  nats: (config) => natsStreamModule(config.nats, config.stream, config.executor),
  memory: (config) => memoryStreamModule(config.stream),
};

/** The shared document cache of each backend (OPENAPI_CACHE_SHARED), in the backend the stream is on. */
export const DOCUMENT_CACHE_BACKENDS: Record<AppConfig['stream']['type'], (config: AppConfig) => ContainerModule> = {
  redis: (config) => redisDocumentCacheModule(config.redis, documentCacheSettings(config.openApi, config.http)),
  nats: (config) => natsDocumentCacheModule(config.nats, documentCacheSettings(config.openApi, config.http)),
  memory: (config) => memoryDocumentCacheModule(documentCacheSettings(config.openApi, config.http)),
};

/** The modules of a profile: the application, the system adapters and the profile's stream. */
export function profileModules(config: AppConfig, profile: Profile = profileFor(config), options: SystemOptions = {}): ContainerModule[] {
  // `production` runs on the configured backend, and on Redis when that is the in-process stream
  // (the dead-letter commands always address a real backend).
  const backend = profile === 'embedded' ? 'memory' : config.stream.type === 'memory' ? 'redis' : config.stream.type;
  return [...applicationModules(config), systemModule(config.log, options), STREAM_BACKENDS[backend](config), DOCUMENT_CACHE_BACKENDS[backend](config)];
}

/** A container with `modules` loaded, then `replacements` bound in place of what the modules bound. */
export async function buildContainer(modules: readonly ContainerModule[], replacements: readonly Replacement[] = []): Promise<Container> {
  const container = new Container({ defaultScope: 'Singleton' });
  await container.load(...modules);
  for (const replacement of replacements) replacement.applyTo(container);
  return container;
}

/** One executor: the service to start and stop, and the parts embedders and tests drive directly. */
export interface Executor {
  readonly service: ExecutorService;
  readonly loop: ExecutorLoop;
  readonly inbox: TaskInbox;
  /** Undefined when built without HTTP (the CLI runner, tests that drive the loop). */
  readonly healthServer: HealthServer | undefined;
  /** Runs a task given by hand (the CLI runner): with the in-process stream only. */
  readonly submitTask: SubmitTask | undefined;
  /** The service's logger, for what the process itself reports (configuration, signals, a failed start). */
  readonly logger: Logger;
  /**
   * Unbinds everything, running the deactivation hooks (HTTP pools, circuits, the stall monitor):
   * for executors driven through `loop` alone. A started service is stopped with `service.stop()`.
   */
  dispose(): Promise<void>;
}

export interface ComposeOptions {
  /** Serve /health, /healthz, /readyz, /metrics (default true; the CLI runner turns it off). */
  http?: boolean;
}

/** Builds the executor out of a loaded container. */
export function composeExecutor(container: Container, config: AppConfig, options: ComposeOptions = {}): Executor {
  const loop = container.get(EXECUTOR_LOOP);
  const inbox = container.get(TASK_INBOX);
  const healthServer = (options.http ?? true) ? container.get(HEALTH_SERVER) : undefined;
  const logger = container.get(LOGGER);
  const service = new ExecutorService(
    { loop, logger, ...(healthServer ? { healthServer } : {}), adapters: [container.get(HTTP_CLIENT), container.get(CIRCUIT_BREAKER), inbox, container.get(TRACING), container.get(GRPC_CLIENT), container.get(RATE_LIMITER), ...(container.isBound(MESSAGE_BROKERS) ? [container.get(MESSAGE_BROKERS)] : [])] },
    { shutdownTimeoutMs: config.executor.shutdownTimeoutMs, concurrency: config.executor.concurrency, group: config.stream.group, consumer: config.stream.consumer },
  );
  // Only profiles with the in-process stream can submit a task and wait for its outcome.
  const submitTask = container.isBound(TASK_SUBMISSION) ? container.get(SUBMIT_TASK) : undefined;
  return { service, loop, inbox, healthServer, submitTask, logger, dispose: () => container.unbindAll() };
}

export interface ExecutorOptions extends ComposeOptions, SystemOptions {
  /** Default: by EVENT_STREAM_TYPE. */
  profile?: Profile;
  /** Values bound in place of the profile's (an observer's logger or metrics, a shared broker). */
  replacements?: readonly Replacement[];
}

/** The executor of a profile, ready to start. */
export async function createExecutor(config: AppConfig, options: ExecutorOptions = {}): Promise<Executor> {
  const container = await buildContainer(profileModules(config, options.profile, options), options.replacements);
  return composeExecutor(container, config, options);
}

/** The operator's dead-letter commands, on the configured broker (Redis when EVENT_STREAM_TYPE is the in-process stream). */
export interface DeadLetterOperations {
  readonly list: ListDeadLetters;
  readonly show: ShowDeadLetter;
  readonly replay: ReplayDeadLetters;
  readonly resolve: ResolveDeadLetters;
  readonly purge: PurgeDeadLetters;
  /** Closes the store's connection (if one was opened). */
  close(): Promise<void>;
}

/** Builds the dead-letter operations; the store connects on first use. */
export async function createDeadLetterOperations(config: AppConfig): Promise<DeadLetterOperations> {
  const container = await buildContainer(profileModules(config, 'production'));
  return {
    list: container.get(LIST_DEAD_LETTERS),
    show: container.get(SHOW_DEAD_LETTER),
    replay: container.get(REPLAY_DEAD_LETTERS),
    resolve: container.get(RESOLVE_DEAD_LETTERS),
    purge: container.get(PURGE_DEAD_LETTERS),
    close: () => container.unbindAll(),
  };
}

/** The operator's task commands (`tasks show`), on the configured broker (Redis when EVENT_STREAM_TYPE is the in-process stream). */
export interface TaskOperations {
  readonly show: ShowTask;
  /** Closes the backend connection (if one was opened). */
  close(): Promise<void>;
}

/** Builds the task operations; the backend connects on first use. */
export async function createTaskOperations(config: AppConfig): Promise<TaskOperations> {
  const container = await buildContainer(profileModules(config, 'production'));
  return { show: container.get(SHOW_TASK), close: () => container.unbindAll() };
}
