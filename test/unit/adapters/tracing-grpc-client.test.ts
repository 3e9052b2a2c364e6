import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { TracingGrpcClient } from '../../../src/adapters/otel/tracing-grpc-client';
import { FakeGrpcClient } from '../../support/fake-grpc-client';

// This file's process only: a provider with the W3C propagator, as the service registers it.
const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();

describe('traced gRPC calls', () => {
  it('carry the call span’s traceparent in the metadata, and record the service, method and status', async () => {
    const fake = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ code: 14, details: 'down' }]);
    const client = new TracingGrpcClient(fake);
    const method = await client.method('acme', 'greeter.proto', 'flunq.test.Greeter', 'SayHello', 1000);
    const reply = await client.call(method, { tenant: 'acme', target: { host: 'greeter.example.test', port: 50051, tls: false }, message: {}, metadata: { authorization: 'Bearer t' }, timeoutMs: 1000 });
    assert.equal(reply.code, 14);
    const sent = fake.calls[0]?.request.metadata ?? {};
    assert.match(sent['traceparent'] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(sent['authorization'], 'Bearer t');
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'flunq.test.Greeter/SayHello');
    assert.equal(span?.attributes['rpc.grpc.status_code'], 14);
    assert.equal(span?.attributes['server.address'], 'greeter.example.test');
    assert.ok(sent['traceparent']?.includes(span?.spanContext().spanId ?? 'none'), 'the downstream sees the call span as its parent');
    assert.ok(!JSON.stringify(span?.attributes).includes('Bearer'), 'no metadata in the span');
  });
});
