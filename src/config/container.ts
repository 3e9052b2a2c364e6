import { Container, ContainerModule } from 'inversify';
import { Clock } from '../application/ports/clock.port';
import { ExpressionEvaluator } from '../application/ports/expression-evaluator.port';
import { Logger } from '../application/ports/logger.port';
import { Metrics } from '../application/ports/metrics.port';
import { Random } from '../application/ports/random.port';
import { TOKENS } from '../application/ports/tokens';
import { PooledJqExpressionEvaluator, PooledJqOptions } from '../adapters/jq/pooled-jq-expression-evaluator';
import { FakeClock } from '../adapters/memory/fake-clock';
import { InMemoryLogger } from '../adapters/memory/in-memory-logger';
import { InMemoryMetrics } from '../adapters/memory/in-memory-metrics';
import { InMemoryStreamBroker } from '../adapters/memory/in-memory-stream-broker';
import { SeededRandom } from '../adapters/memory/seeded-random';
import { PrometheusMetrics } from '../adapters/observability/prometheus-metrics';
import { WinstonLogger } from '../adapters/observability/winston-logger';
import { AppConfig } from './env';
import { coreModule } from './modules/core.module';
import { healthModule } from './modules/health.module';
import { memoryStreamModule } from './modules/memory.module';
import { redisStreamModule } from './modules/redis.module';
import { systemModule } from './modules/system.module';
import { breakerModule } from './modules/breaker.module';
import { httpModule } from './modules/http.module';
import { openApiModule } from './modules/openapi.module';
import { patternModule } from './modules/pattern.module';

/**
 * - `production`: Redis stream, system clock, JSON logs, Prometheus metrics.
 * - `embedded`: the same service on the in-process stream (EVENT_STREAM_TYPE=memory).
 * - `memory`: in-process stream, fake clock, seeded random, in-memory logs and metrics (tests).
 */
export type Profile = 'production' | 'embedded' | 'memory';

export interface ContainerOverrides {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  metrics?: Metrics;
  broker?: InMemoryStreamBroker;
  expressionEvaluator?: ExpressionEvaluator;
}

export function profileFor(config: AppConfig): Profile {
  return config.stream.type === 'memory' ? 'embedded' : 'production';
}

/**
 * Expression worker pools, one per process and set of limits, shared by every container built
 * in the process (tests build hundreds): a pool's idle workers hold no handle that keeps the
 * process alive, so they need no closing.
 */
const evaluators = new Map<string, ExpressionEvaluator>();

/** The expression worker pool's settings from the configuration. */
export function expressionEvaluatorOptions(config: AppConfig): PooledJqOptions {
  return {
    maxWorkers: config.expressions.maxWorkers,
    maxMemoryMb: config.expressions.maxMemoryMb,
    timeoutMs: config.expressions.timeoutMs,
    maxResultBytes: Math.max(config.limits.maxEntryBytes, 1024 * 1024),
    maxDepth: config.limits.maxJsonDepth,
    idleMs: 30_000,
  };
}

function expressionEvaluator(config: AppConfig): ExpressionEvaluator {
  const options = expressionEvaluatorOptions(config);
  const key = JSON.stringify(options);
  let evaluator = evaluators.get(key);
  if (!evaluator) {
    evaluator = new PooledJqExpressionEvaluator(options);
    evaluators.set(key, evaluator);
  }
  return evaluator;
}

/** The only place that chooses adapter families. */
export async function buildContainer(config: AppConfig, profile: Profile = profileFor(config), overrides: ContainerOverrides = {}): Promise<Container> {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.ExpressionEvaluator).toConstantValue(overrides.expressionEvaluator ?? expressionEvaluator(config));

  // Outbound calls use the real adapters in every profile (tests point them at nock or local servers).
  const modules: ContainerModule[] = [coreModule, healthModule, httpModule, breakerModule, openApiModule, patternModule];
  if (profile === 'memory') {
    modules.push(
      new ContainerModule(({ bind }) => {
        bind(TOKENS.Clock).toConstantValue(overrides.clock ?? new FakeClock());
        bind(TOKENS.Random).toConstantValue(overrides.random ?? new SeededRandom());
        bind(TOKENS.Logger).toConstantValue(overrides.logger ?? new InMemoryLogger());
        bind(TOKENS.Metrics).toConstantValue(overrides.metrics ?? new InMemoryMetrics());
      }),
      memoryStreamModule(overrides.broker),
    );
  } else {
    modules.push(
      systemModule,
      new ContainerModule(({ bind }) => {
        bind(TOKENS.Logger).toConstantValue(overrides.logger ?? WinstonLogger.create(config.log.level));
        bind(TOKENS.Metrics).toConstantValue(overrides.metrics ?? new PrometheusMetrics());
      }),
    );
    if (profile === 'embedded') modules.push(memoryStreamModule(overrides.broker));
    else modules.push(redisStreamModule);
  }
  await container.load(...modules);
  return container;
}
