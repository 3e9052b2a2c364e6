import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { RecentTraces } from '../../../src/adapters/otel/recent-traces';
import { traceHeaders } from '../../../src/adapters/flunq-wire/hand-submitted';

function recorder(maxTraces: number, maxSpansPerTrace: number) {
  const recent = new RecentTraces({ maxTraces, maxSpansPerTrace });
  const provider = new BasicTracerProvider({ spanProcessors: [recent] });
  return { recent, tracer: provider.getTracer('test') };
}

describe('the console’s recent traces', () => {
  it('keeps a trace’s spans by start, with the remote parent and the span’s own attributes', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { recent, tracer } = recorder(10, 10);
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const task = tracer.startSpan('task call', { kind: SpanKind.CONSUMER, attributes: { 'flunq.task.id': 't-1', nested: [1, 2] as never } }, parent);
    const call = tracer.startSpan('GET', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), task));
    call.end();
    task.end();
    const kept = recent.trace('4BF92F3577B34DA6A3CE929D0E0E4736');
    assert.ok(kept);
    assert.deepEqual(kept.spans.map((s) => [s.name, s.kind]), [['task call', 'consumer'], ['GET', 'client']]);
    assert.equal(kept.spans[0]?.parentSpanId, '00f067aa0ba902b7');
    assert.equal(kept.spans[1]?.parentSpanId, task.spanContext().spanId);
    assert.deepEqual(kept.spans[0]?.attributes, { 'flunq.task.id': 't-1' }, 'only plain values are kept');
  });

  it('is bounded: the oldest trace goes first, and spans beyond the limit are counted', () => {
    const { recent, tracer } = recorder(2, 2);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const root = tracer.startSpan(`root ${i}`);
      ids.push(root.spanContext().traceId);
      for (let j = 0; j < 3; j++) tracer.startSpan(`child ${j}`, {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
    }
    assert.equal(recent.trace(ids[0]!), undefined);
    assert.equal(recent.trace(ids[2]!)?.spans.length, 2);
    assert.equal(recent.trace(ids[2]!)?.dropped, 2);
  });
});

describe('the traceparent header of POST /tasks', () => {
  it('takes a valid W3C trace context, with its tracestate', () => {
    assert.deepEqual(traceHeaders({ traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', tracestate: 'a=1' }), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'a=1',
    });
  });
  it('ignores a malformed one, as the recommendation says', () => {
    for (const bad of ['', 'x', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01']) {
      assert.equal(traceHeaders({ traceparent: bad }), undefined, bad);
    }
    assert.equal(traceHeaders({}), undefined);
  });
});
