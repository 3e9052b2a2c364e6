import { ContainerModule } from 'inversify';
import { Registry } from 'prom-client';
import { PrometheusMetrics } from '../../adapters/observability/prometheus-metrics';
import { WinstonLogger } from '../../adapters/observability/winston-logger';
import { MathRandom } from '../../adapters/system/math-random';
import { SystemClock } from '../../adapters/system/system-clock';
import { bindFactory } from '../binding';
import { LogSettings } from '../env';
import { CLOCK, LOGGER, METRICS, METRICS_REGISTRY, RANDOM } from '../tokens';

export interface SystemOptions {
  /** Where the log lines go (default stdout; the CLI writes them to stderr). */
  logStream?: NodeJS.WritableStream;
}

/** What the service runs on in every real profile: the system clock and randomness, JSON logs, Prometheus metrics. */
export function systemModule(log: LogSettings, options: SystemOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, CLOCK, [], () => new SystemClock());
    bindFactory(bind, RANDOM, [], () => new MathRandom());
    bindFactory(bind, LOGGER, [], () => {
      const stream = options.logStream ?? process.stdout;
      // Colours only for a person at a terminal, and never when NO_COLOR asks for none (no-color.org).
      const colors = (stream as { isTTY?: boolean }).isTTY === true && !process.env['NO_COLOR'];
      return WinstonLogger.create(log.level, stream, { format: log.format, colors });
    });
    bindFactory(bind, METRICS_REGISTRY, [], () => new Registry());
    bindFactory(bind, METRICS, [METRICS_REGISTRY], (registry) => new PrometheusMetrics({ registry }));
  });
}
