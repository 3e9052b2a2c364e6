import { ContainerModule } from 'inversify';
import { NoopTracer } from '../../adapters/otel/noop-tracer';
import { OtelActiveTrace, OtelTracer } from '../../adapters/otel/otel-tracer';
import { RecentTraces } from '../../adapters/otel/recent-traces';
import { startTracing } from '../../adapters/otel/tracing-provider';
import { bindFactory } from '../binding';
import { TracingSettings } from '../env';
import { ACTIVE_TRACE, LOGGER, RECENT_TRACES, TRACER, TRACING } from '../tokens';

/**
 * Distributed tracing: with OTEL_TRACES_EXPORTER=none (the default) and no console traces, a tracer
 * that does nothing; otherwise the OpenTelemetry provider, registered for the process, flushed when
 * the service stops, its spans exported as configured and, with CONSOLE_TRACES, kept for the console.
 */
export function tracingModule(settings: TracingSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const { exporter, record } = settings;
    if (exporter === 'none' && !record) {
      bindFactory(bind, TRACING, [], () => ({ close: () => Promise.resolve() }));
      bindFactory(bind, TRACER, [], () => new NoopTracer());
      bindFactory(bind, ACTIVE_TRACE, [], () => ({ traceId: () => undefined }));
      return;
    }
    if (record) {
      bindFactory(bind, RECENT_TRACES, [], () => new RecentTraces());
      bindFactory(bind, TRACING, [LOGGER, RECENT_TRACES], (logger, recent) => startTracing(settings, logger.child({ component: 'tracing' }), [recent]));
    } else {
      bindFactory(bind, TRACING, [LOGGER], (logger) => startTracing(settings, logger.child({ component: 'tracing' })));
    }
    // The provider is registered before the first span is started.
    bindFactory(bind, TRACER, [TRACING], () => new OtelTracer());
    bindFactory(bind, ACTIVE_TRACE, [TRACING], () => new OtelActiveTrace());
  });
}
