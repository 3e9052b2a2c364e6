import { context, propagation, trace } from '@opentelemetry/api';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, ReadableSpan, Sampler, SpanExporter, SpanProcessor, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Logger } from '../../application/ports/logger.port';

export interface TracingOptions {
  /** `none`: nothing is exported (the spans only reach the extra processors, e.g. the console's). */
  exporter: 'otlp' | 'console' | 'none';
  /** Full URL spans are posted to (undefined: the exporter's default, http://localhost:4318/v1/traces). */
  endpoint: string | undefined;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  sampler: 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';
  samplerRatio: number;
}

/** `OTEL_TRACES_EXPORTER=console`: each finished span is one log line, in the service's log format. */
export class LogSpanExporter implements SpanExporter {
  constructor(private readonly logger: Logger) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      const [seconds, nanos] = span.duration;
      this.logger.info('span', {
        span: span.name,
        traceId,
        spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        kind: span.kind,
        durationMs: Math.round((seconds * 1000 + nanos / 1e6) * 1000) / 1000,
        status: span.status.code,
        attributes: span.attributes,
      });
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function sampler(options: TracingOptions): Sampler {
  const root = (kind: string): Sampler => (kind === 'always_off' ? new AlwaysOffSampler() : kind === 'traceidratio' ? new TraceIdRatioBasedSampler(options.samplerRatio) : new AlwaysOnSampler());
  return options.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root: root(options.sampler.slice('parentbased_'.length)) }) : root(options.sampler);
}

function exporter(options: TracingOptions & { exporter: 'otlp' | 'console' }, logger: Logger): SpanExporter {
  if (options.exporter === 'console') return new LogSpanExporter(logger);
  const config = options.endpoint ? { url: options.endpoint } : {};
  return options.protocol === 'http/json' ? new OtlpJsonExporter(config) : new OtlpProtobufExporter(config);
}

/**
 * Registers the process's OpenTelemetry tracer provider (W3C trace-context propagation, context
 * kept across awaits): spans are batched and exported as configured, and handed to the `extra`
 * processors. Returns what flushes and stops it at shutdown.
 */
export function startTracing(options: TracingOptions, logger: Logger, extra: readonly SpanProcessor[] = []): { close(): Promise<void> } {
  const exporting = options.exporter === 'none' ? [] : [new BatchSpanProcessor(exporter({ ...options, exporter: options.exporter }, logger), { scheduledDelayMillis: 1000 })];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: sampler(options),
    spanProcessors: [...exporting, ...extra],
  });
  provider.register();
  return {
    // Flushes, then gives the process's registration back, so that a service started later in the
    // same process (tests, the embedded profile) registers its own provider.
    close: () =>
      provider
        .shutdown()
        .catch((error: unknown) => {
          logger.warn('could not flush the last spans', { error: error instanceof Error ? error.message : String(error) });
        })
        .finally(() => {
          trace.disable();
          propagation.disable();
          context.disable();
        }),
  };
}
