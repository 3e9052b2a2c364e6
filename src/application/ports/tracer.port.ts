/**
 * W3C trace context as the CloudEvents distributed-tracing extension carries it: `traceparent`
 * (`00-<trace id>-<span id>-<flags>`) and, optionally, `tracestate`.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** What a task span records (no secrets: ids, types and outcome codes only). */
export interface TaskSpanAttributes {
  taskId: string;
  taskName: string;
  taskType: string;
  workflowId: string;
  executionId: string;
  tenantId: string;
  attempt: number;
}

/** The span of one task's run. */
export interface TaskSpan {
  /** The span's own context, carried by the completion and the dead letter; undefined when not traced. */
  readonly context: TraceContext | undefined;
  /** Runs `work` with this span as the current one, so that outbound calls become its children. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Marks the span failed with the outcome's error code. */
  fail(code: string): void;
  end(): void;
}

/** Distributed tracing of task runs (OpenTelemetry, or nothing). */
export interface Tracer {
  /** Starts a task's span, a child of the request's trace context when it carries one. */
  startTask(parent: TraceContext | undefined, attributes: TaskSpanAttributes): TaskSpan;
}

/** The trace the running task belongs to, for log lines that name it (the outbound-call audit). */
export interface ActiveTrace {
  /** The current span's trace id (32 hex digits); undefined when tracing is off or no span is current. */
  traceId(): string | undefined;
}
