import { ContainerModule } from 'inversify';
import { ExpressionEvaluator } from '../../application/ports/expression-evaluator.port';
import { PooledJqExpressionEvaluator, PooledJqOptions } from '../../adapters/jq/pooled-jq-expression-evaluator';
import { bindFactory } from '../binding';
import { AppConfig } from '../env';
import { EXPRESSION_EVALUATOR } from '../tokens';

/**
 * Expression worker pools, one per process and set of limits, shared by every container built
 * in the process (tests build hundreds): a pool's idle workers hold no handle that keeps the
 * process alive, so they need no closing.
 */
const evaluators = new Map<string, ExpressionEvaluator>();

/** The expression worker pool's settings. */
export function expressionEvaluatorOptions(settings: Pick<AppConfig, 'expressions' | 'limits'>): PooledJqOptions {
  return {
    maxWorkers: settings.expressions.maxWorkers,
    maxMemoryMb: settings.expressions.maxMemoryMb,
    timeoutMs: settings.expressions.timeoutMs,
    maxResultBytes: Math.max(settings.limits.maxEntryBytes, 1024 * 1024),
    maxDepth: settings.limits.maxJsonDepth,
    idleMs: 30_000,
  };
}

function sharedEvaluator(options: PooledJqOptions): ExpressionEvaluator {
  const key = JSON.stringify(options);
  let evaluator = evaluators.get(key);
  if (!evaluator) {
    evaluator = new PooledJqExpressionEvaluator(options);
    evaluators.set(key, evaluator);
  }
  return evaluator;
}

/** Runtime expressions (jq in worker threads, time and memory bounded). */
export function expressionsModule(settings: Pick<AppConfig, 'expressions' | 'limits'>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, EXPRESSION_EVALUATOR, [], () => sharedEvaluator(expressionEvaluatorOptions(settings)));
  });
}
