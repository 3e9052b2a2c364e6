import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OtelActiveTrace, OtelTracer } from '../../../src/adapters/otel/otel-tracer';

// This file's process only: a provider with the W3C propagator, as the service registers it.
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] }).register();

describe('the active trace (for the audit log)', () => {
  it("is the running task span's trace, across awaits, and nothing outside a task", async () => {
    const active = new OtelActiveTrace();
    const parent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    const span = new OtelTracer().startTask(parent, { taskId: 't', taskName: 'n', taskType: 'call', workflowId: 'w', executionId: 'e', tenantId: 'acme', attempt: 1 });
    const seen = await span.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return active.traceId();
    });
    span.end();
    assert.equal(seen, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(active.traceId(), undefined);
  });
});
