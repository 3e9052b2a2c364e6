import express, { Request, Response, Router } from 'express';

/** One finished span as the console shows it (the tracing adapter records them in this shape). */
export interface SpanView {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  startMs: number;
  durationMs: number;
  status: string;
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

/** Where the console reads the spans of a recent trace (CONSOLE_TRACES). */
export interface TraceSource {
  trace(traceId: string): { spans: SpanView[]; dropped: number } | undefined;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * `GET /console/api/traces/<trace id>`: the spans this replica kept of one trace, by start time
 * (the task span, its outbound calls, and the id of the caller's span it continues).
 */
export function tracesApi(traces: TraceSource | undefined): Router {
  const api = express.Router();
  api.get('/:traceId', (req: Request, res: Response) => {
    const traceId = String(req.params['traceId']).toLowerCase();
    if (!TRACE_ID.test(traceId)) {
      res.status(400).json({ error: 'a trace id is 32 hexadecimal digits' });
      return;
    }
    if (!traces) {
      res.status(404).json({ error: 'this console keeps no traces: set CONSOLE_TRACES=true (or follow the trace in your tracing backend)' });
      return;
    }
    const found = traces.trace(traceId);
    if (!found) {
      res.status(404).json({ error: 'no such trace here (it may have left the last traces kept, or ran on another replica)' });
      return;
    }
    res.json({ traceId, ...found });
  });
  return api;
}
