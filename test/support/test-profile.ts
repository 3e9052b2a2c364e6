import { ContainerModule } from 'inversify';
import { Registry } from 'prom-client';
import { Clock } from '../../src/application/ports/clock.port';
import { GrpcClient } from '../../src/application/ports/grpc-client.port';
import { ExpressionEvaluator } from '../../src/application/ports/expression-evaluator.port';
import { Logger } from '../../src/application/ports/logger.port';
import { Metrics } from '../../src/application/ports/metrics.port';
import { Random } from '../../src/application/ports/random.port';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { OasDocumentSource } from '../../src/adapters/openapi/oas-document-source';
import { bindFactory, replace, Replacement } from '../../src/config/binding';
import { applicationModules, buildContainer, composeExecutor, DOCUMENT_CACHE_BACKENDS, Executor } from '../../src/config/container';
import { AppConfig } from '../../src/config/env';
import { memoryStreamModule } from '../../src/config/modules/memory.module';
import { GRPC_CLIENT } from '../../src/config/tokens';
import { CLOCK, EXPRESSION_EVALUATOR, LOGGER, METRICS, METRICS_REGISTRY, OPENAPI_DOCUMENT_SOURCE, RANDOM, STREAM_BROKER } from '../../src/config/tokens';
import { MessageBrokers } from '../../src/application/ports/message-brokers.port';
import { MESSAGE_BROKERS } from '../../src/config/tokens';
import { FakeClock } from './fake-clock';
import { FaultPlan, FaultyEntryStream } from './faulty-entry-stream';
import { InMemoryLogger } from './in-memory-logger';
import { InMemoryMetrics } from './in-memory-metrics';
import { SeededRandom } from './seeded-random';

/** The doubles a test may hand in; each one left out is a fresh default. */
export interface TestDoubles {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  metrics?: Metrics;
  /** Shares one in-process stream between executors (a restarted replica, a second consumer). */
  broker?: InMemoryStreamBroker;
  /** A worker pool the test watches (default: the process-wide pool for the configured limits). */
  expressionEvaluator?: ExpressionEvaluator;
  /** Outages of the in-process stream to simulate. */
  faults?: FaultPlan;
  /** A fake gRPC peer (default: the real grpc-js client). */
  grpcClient?: GrpcClient;
  /** Message brokers for `call: asyncapi` (default: the real clients). */
  messageBrokers?: MessageBrokers;
}

/** Fake clock, seeded random, recording logger and metrics in place of the system adapters. */
export function testDoublesModule(doubles: TestDoubles = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(doubles.clock ?? new FakeClock());
    bind(RANDOM).toConstantValue(doubles.random ?? new SeededRandom());
    bind(LOGGER).toConstantValue(doubles.logger ?? new InMemoryLogger());
    bind(METRICS).toConstantValue(doubles.metrics ?? new InMemoryMetrics());
    bindFactory(bind, METRICS_REGISTRY, [], () => new Registry());
  });
}

/**
 * The test profile: the production application modules and the in-process stream, with the test
 * doubles instead of the system adapters. Outbound calls use the real adapters (tests point them
 * at nock or local servers).
 */
export function testModules(config: AppConfig, doubles: TestDoubles = {}): ContainerModule[] {
  const { faults } = doubles;
  const stream = faults ? memoryStreamModule(config.stream, (source) => new FaultyEntryStream(source, faults)) : memoryStreamModule(config.stream);
  return [...applicationModules(config), testDoublesModule(doubles), stream, DOCUMENT_CACHE_BACKENDS.memory(config)];
}

export interface TestExecutor extends Executor {
  /** The OpenAPI document source, so that a fake clock can wait for its worker thread. */
  readonly documents: OasDocumentSource;
}

/** An executor of the test profile, without HTTP; drive it through `loop` and dispose of it after. */
export async function testExecutor(config: AppConfig, doubles: TestDoubles = {}): Promise<TestExecutor> {
  const replacements: Replacement[] = [];
  if (doubles.broker) replacements.push(replace(STREAM_BROKER, doubles.broker));
  if (doubles.expressionEvaluator) replacements.push(replace(EXPRESSION_EVALUATOR, doubles.expressionEvaluator));
  if (doubles.grpcClient) replacements.push(replace(GRPC_CLIENT, doubles.grpcClient));
  if (doubles.messageBrokers) replacements.push(replace(MESSAGE_BROKERS, doubles.messageBrokers));
  const container = await buildContainer(testModules(config, doubles), replacements);
  const documents = container.get(OPENAPI_DOCUMENT_SOURCE);
  if (!(documents instanceof OasDocumentSource)) throw new Error('the test profile expects the oas document source');
  return { ...composeExecutor(container, config, { http: false }), documents };
}
