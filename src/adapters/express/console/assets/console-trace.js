// The trace of one outcome, for the console's outcome detail: the spans this replica kept
// (CONSOLE_TRACES), as a waterfall from the caller's span to the task's outbound calls.
// Text goes in with textContent only, never as HTML.
'use strict';
(function () {
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const SHOWN = ['flunq.task.id', 'flunq.task.type', 'flunq.workflow.id', 'flunq.task.attempt', 'http.request.method', 'server.address', 'server.port', 'url.path', 'http.response.status_code', 'error.type'];

  function depthOf(span, byId) {
    let depth = 0;
    for (let p = byId.get(span.parentSpanId); p && depth < 20; p = byId.get(p.parentSpanId)) depth++;
    return depth;
  }

  function render(box, trace, traceparent) {
    const spans = trace.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const start = Math.min(...spans.map((s) => s.startMs));
    const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
    const total = Math.max(end - start, 0.001);
    box.append(el('p', 'note', `trace ${trace.traceId} · ${spans.length} span${spans.length === 1 ? '' : 's'} on this replica${trace.dropped ? ` (${trace.dropped} more not kept)` : ''} · the completion carries ${traceparent}`));
    const callers = [...new Set(spans.filter((s) => s.parentSpanId && !byId.has(s.parentSpanId)).map((s) => s.parentSpanId))];
    const table = el('table', 'trace');
    const head = el('tr');
    for (const h of ['span', 'kind', 'start', 'duration', '', 'attributes']) head.append(el('th', '', h));
    const thead = el('thead');
    thead.append(head);
    table.append(thead);
    const body = el('tbody');
    for (const caller of callers) {
      const row = el('tr', 'caller');
      row.dataset.spanId = caller;
      row.append(el('td', '', `caller ${caller}`), el('td', '', 'remote'), el('td', '', ''), el('td', '', ''), el('td', '', ''), el('td', 'wrap', 'the span of whoever sent the request (its traceparent): the workflow'));
      body.append(row);
    }
    for (const span of spans) {
      const row = el('tr', `span ${span.kind}${span.status === 'error' ? ' error' : ''}`);
      row.dataset.spanId = span.spanId;
      row.dataset.kind = span.kind;
      const name = el('td', 'name', span.name);
      name.style.paddingLeft = `${0.5 + (depthOf(span, byId) + (callers.length ? 1 : 0)) * 1.25}rem`;
      const bar = el('div', `bar ${span.status}`);
      bar.style.marginLeft = `${((span.startMs - start) / total) * 100}%`;
      bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.5)}%`;
      const timeline = el('td', 'timeline');
      timeline.append(bar);
      const attrs = SHOWN.filter((k) => span.attributes[k] !== undefined).map((k) => `${k}=${span.attributes[k]}`);
      if (span.kind === 'client') attrs.push(`traceparent sent: 00-${span.traceId}-${span.spanId}-01`);
      if (span.statusMessage) attrs.push(`status: ${span.statusMessage}`);
      row.append(name, el('td', '', span.kind), el('td', '', `+${(span.startMs - start).toFixed(1)} ms`), el('td', '', `${span.durationMs.toFixed(1)} ms`), timeline, el('td', 'wrap', attrs.join(' · ')));
      body.append(row);
    }
    table.append(body);
    box.append(table);
  }

  /** Shows the trace of `traceparent` in `box` (or why it cannot). */
  async function show(box, traceparent) {
    box.replaceChildren(el('h3', '', 'Trace'));
    if (!traceparent) {
      box.append(el('p', 'note', 'Not traced: turn tracing on with OTEL_TRACES_EXPORTER, or CONSOLE_TRACES=true to keep traces here.'));
      return;
    }
    const traceId = traceparent.split('-')[1] || '';
    const res = await fetch(`/console/api/traces/${encodeURIComponent(traceId)}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      box.append(el('p', 'note', `trace ${traceId}: ${body.error || `HTTP ${res.status}`}`));
      return;
    }
    render(box, body, traceparent);
  }

  window.flunqTrace = { show };
})();
