/**
 * A flunq CloudEvent as the executor sees it, whatever carried it: the attributes it reads, the
 * data as JSON text exactly as received, and every other attribute or extension kept as received.
 * Transports map it to and from their own form (flat stream fields, message headers).
 */
export interface FlunqEvent {
  id: string;
  source: string;
  specversion: string;
  type: string;
  /** RFC 3339. */
  time: string;
  /** The flunq extensions (empty when the event does not carry them). */
  workflowId: string;
  executionId: string;
  taskId: string;
  tenantId: string;
  /** The data as JSON text, byte for byte; undefined when the event has none. */
  data: string | undefined;
  /** Attributes and extensions this executor does not interpret (trace context, replay markers). */
  extensions: Readonly<Record<string, string>>;
}

export const TASK_REQUESTED = 'io.flunq.task.requested';
export const TASK_COMPLETED = 'io.flunq.task.completed';
export const TASK_DLQ = 'io.flunq.task.dlq';
export const EXECUTOR_SOURCE = 'executor-service';

/** The extension a replayed request carries: which replay of a dead letter it is (1, 2, …). */
export const REPLAY_EXTENSION = 'replay';
/** The extension naming the dead letter a replayed request came from (opaque to the domain). */
export const REPLAY_OF_EXTENSION = 'replay_of';

/** The CloudEvents distributed-tracing extension: W3C trace context. */
export const TRACEPARENT_EXTENSION = 'traceparent';
export const TRACESTATE_EXTENSION = 'tracestate';

/** The trace context an event carries, if any. */
export function traceContextOf(event: Pick<FlunqEvent, 'extensions'>): { traceparent: string; tracestate?: string } | undefined {
  const traceparent = event.extensions[TRACEPARENT_EXTENSION];
  if (!traceparent) return undefined;
  const tracestate = event.extensions[TRACESTATE_EXTENSION];
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The event carrying `trace` (replacing any trace context it had); unchanged without one. */
export function withTraceContext(event: FlunqEvent, trace: { traceparent: string; tracestate?: string } | undefined): FlunqEvent {
  if (!trace) return event;
  const extensions: Record<string, string> = { ...event.extensions, [TRACEPARENT_EXTENSION]: trace.traceparent };
  if (trace.tracestate) extensions[TRACESTATE_EXTENSION] = trace.tracestate;
  else delete extensions[TRACESTATE_EXTENSION];
  return { ...event, extensions };
}

/**
 * The key under which a task's outcome is recorded for idempotency. A replay is an operator's
 * explicit request to run a task again, so it gets a key of its own (the dead-lettered run
 * usually recorded a failed outcome under the plain task id); a replay redelivered after a
 * crash is still run only once.
 */
export function idempotencyKey(taskId: string, event: Pick<FlunqEvent, 'extensions'>): string {
  const replay = event.extensions[REPLAY_EXTENSION];
  return event.extensions[REPLAY_OF_EXTENSION] && replay ? `${taskId}#replay-${replay}` : taskId;
}
