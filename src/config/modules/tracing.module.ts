import { ContainerModule } from 'inversify';
import { NoopTracer } from '../../adapters/otel/noop-tracer';
import { OtelTracer } from '../../adapters/otel/otel-tracer';
import { startTracing } from '../../adapters/otel/tracing-provider';
import { bindFactory } from '../binding';
import { TracingSettings } from '../env';
import { LOGGER, TRACER, TRACING } from '../tokens';

/**
 * Distributed tracing: with OTEL_TRACES_EXPORTER=none (the default) a tracer that does nothing;
 * otherwise the OpenTelemetry provider, registered for the process, flushed when the service stops.
 */
export function tracingModule(settings: TracingSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const { exporter } = settings;
    if (exporter === 'none') {
      bindFactory(bind, TRACING, [], () => ({ close: () => Promise.resolve() }));
      bindFactory(bind, TRACER, [], () => new NoopTracer());
      return;
    }
    bindFactory(bind, TRACING, [LOGGER], (logger) => startTracing({ ...settings, exporter }, logger.child({ component: 'tracing' })));
    // The provider is registered before the first span is started.
    bindFactory(bind, TRACER, [TRACING], () => new OtelTracer());
  });
}
