import { context, isSpanContextValid, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace, Tracer as OtelApiTracer } from '@opentelemetry/api';
import { ActiveTrace, TaskSpan, TaskSpanAttributes, TraceContext, Tracer } from '../../application/ports/tracer.port';

/** The instrumentation scope of every span the executor makes. */
export const INSTRUMENTATION_SCOPE = 'flunq-executor';

class OtelTaskSpan implements TaskSpan {
  readonly context: TraceContext | undefined;

  constructor(
    private readonly span: Span,
    private readonly active: ReturnType<typeof context.active>,
  ) {
    const carrier: Record<string, string> = {};
    propagation.inject(active, carrier);
    const { traceparent, tracestate } = carrier;
    this.context = traceparent ? (tracestate ? { traceparent, tracestate } : { traceparent }) : undefined;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return context.with(this.active, work);
  }

  fail(code: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    this.span.setAttribute('error.type', code);
  }

  end(): void {
    this.span.end();
  }
}

/**
 * Task spans through the OpenTelemetry API: a CONSUMER span per task run, the child of the
 * request's `traceparent` when it has one (CloudEvents distributed tracing), current while the task
 * runs so that outbound calls are its children. Attributes are ids and types only, never payloads.
 */
export class OtelTracer implements Tracer {
  private readonly tracer: OtelApiTracer = trace.getTracer(INSTRUMENTATION_SCOPE);

  startTask(parent: TraceContext | undefined, a: TaskSpanAttributes): TaskSpan {
    const parentContext = parent ? propagation.extract(ROOT_CONTEXT, { ...parent }) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      `task ${a.taskType}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'flunq.task.id': a.taskId,
          'flunq.task.name': a.taskName,
          'flunq.task.type': a.taskType,
          'flunq.workflow.id': a.workflowId,
          'flunq.execution.id': a.executionId,
          'flunq.tenant.id': a.tenantId,
          'flunq.task.attempt': a.attempt,
          'messaging.operation.type': 'process',
        },
      },
      parentContext,
    );
    return new OtelTaskSpan(span, trace.setSpan(parentContext, span));
  }
}

/** The trace id of the span current in OpenTelemetry's context (the task span while a task runs). */
export class OtelActiveTrace implements ActiveTrace {
  traceId(): string | undefined {
    const span = trace.getActiveSpan();
    if (!span) return undefined;
    const spanContext = span.spanContext();
    return isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
  }
}
