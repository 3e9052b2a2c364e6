import { Context } from '@opentelemetry/api';
import { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** One finished span as the web console shows it. Attributes are the executor's own: ids, types, method, host and path, never secrets. */
export interface RecordedSpan {
  traceId: string;
  spanId: string;
  /** The parent's span id: another span here, or the caller's (the workflow's) span. */
  parentSpanId?: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  /** Epoch ms. */
  startMs: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

const KINDS: readonly RecordedSpan['kind'][] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: readonly RecordedSpan['status'][] = ['unset', 'ok', 'error'];

export interface RecentTracesSettings {
  /** Traces kept; the oldest trace goes first. */
  maxTraces: number;
  /** Spans kept per trace; later ones are counted, not kept. */
  maxSpansPerTrace: number;
}

export const DEFAULT_RECENT_TRACES: RecentTracesSettings = { maxTraces: 500, maxSpansPerTrace: 100 };

interface Kept {
  spans: RecordedSpan[];
  dropped: number;
}

/**
 * Keeps the spans of the last traces in memory for the web console (CONSOLE_TRACES), so a trace
 * can be followed from a task's request to its outbound calls without a tracing backend. A span
 * processor beside the exporter's: bounded in traces and spans per trace.
 */
export class RecentTraces implements SpanProcessor {
  private readonly traces = new Map<string, Kept>();

  constructor(private readonly settings: RecentTracesSettings = DEFAULT_RECENT_TRACES) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext();
    let kept = this.traces.get(traceId);
    if (!kept) {
      if (this.traces.size >= this.settings.maxTraces) {
        const oldest = this.traces.keys().next();
        if (!oldest.done) this.traces.delete(oldest.value);
      }
      kept = { spans: [], dropped: 0 };
      this.traces.set(traceId, kept);
    }
    if (kept.spans.length >= this.settings.maxSpansPerTrace) {
      kept.dropped++;
      return;
    }
    const [startS, startNs] = span.startTime;
    const [durS, durNs] = span.duration;
    const attributes: RecordedSpan['attributes'] = {};
    for (const [name, value] of Object.entries(span.attributes)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[name] = value;
    }
    const recorded: RecordedSpan = {
      traceId,
      spanId,
      name: span.name,
      kind: KINDS[span.kind] ?? 'internal',
      startMs: startS * 1000 + startNs / 1e6,
      durationMs: Math.round((durS * 1000 + durNs / 1e6) * 1000) / 1000,
      status: STATUSES[span.status.code] ?? 'unset',
      attributes,
    };
    const parent = span.parentSpanContext?.spanId;
    if (parent) recorded.parentSpanId = parent;
    if (span.status.message) recorded.statusMessage = span.status.message;
    kept.spans.push(recorded);
  }

  /**
   * The spans of one trace in tree order (each span before its children, siblings by start time),
   * and how many were not kept; undefined when it is not (or no longer) here.
   */
  trace(traceId: string): { spans: RecordedSpan[]; dropped: number } | undefined {
    const kept = this.traces.get(traceId.toLowerCase());
    if (!kept) return undefined;
    const byStart = [...kept.spans].sort((a, b) => a.startMs - b.startMs);
    const ids = new Set(byStart.map((s) => s.spanId));
    const children = new Map<string, RecordedSpan[]>();
    for (const span of byStart) {
      const parent = span.parentSpanId !== undefined && span.parentSpanId !== span.spanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
      children.set(parent, [...(children.get(parent) ?? []), span]);
    }
    const spans: RecordedSpan[] = [];
    const visit = (parent: string): void => {
      for (const span of children.get(parent) ?? []) {
        spans.push(span);
        visit(span.spanId);
      }
    };
    visit('');
    return { spans, dropped: kept.dropped };
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.traces.clear();
    return Promise.resolve();
  }
}
