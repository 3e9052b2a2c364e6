import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TracingMessageBrokers } from '../../../src/adapters/otel/tracing-message-brokers';
import { BrokerTarget, MessageBrokers, OutgoingMessage, ReceivedMessage } from '../../../src/application/ports/message-brokers.port';
import { errors } from '../../../src/domain/workflow-error';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

class Recording implements MessageBrokers {
  sent: OutgoingMessage[] = [];
  protocols(): readonly string[] {
    return ['nats'];
  }
  defaultPort(): number | undefined {
    return 4222;
  }
  publish(_target: BrokerTarget, message: OutgoingMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }
  request(_target: BrokerTarget, message: OutgoingMessage): Promise<ReceivedMessage> {
    this.sent.push(message);
    return Promise.reject(errors.timeout('no reply'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('TracingMessageBrokers', () => {
  it('makes a producer span per publish, with traceparent in the message headers and no secrets', async () => {
    const inner = new Recording();
    const brokers = new TracingMessageBrokers(inner);
    await brokers.publish({ protocol: 'nats', host: 'nats.internal:4222', password: 'pw-secret' }, { address: 'orders.placed', payload: { a: 1 }, headers: { 'x-tier': 'gold' } }, { tenant: 'acme', timeoutMs: 1000 });
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'publish orders.placed');
    assert.equal(span?.kind, SpanKind.PRODUCER);
    assert.deepEqual(span?.attributes, { 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': 'orders.placed', 'server.address': 'nats.internal', 'server.port': 4222 });
    assert.match(inner.sent[0]?.headers['traceparent'] ?? '', new RegExp(`^00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01$`));
    assert.equal(inner.sent[0]?.headers['x-tier'], 'gold');
    assert.ok(!JSON.stringify(span?.attributes).includes('pw-secret'));
  });

  it('marks a failed request with its error code', async () => {
    exporter.reset();
    const brokers = new TracingMessageBrokers(new Recording());
    await assert.rejects(brokers.request({ protocol: 'nats', host: '[::1]:4222' }, { address: 'a', payload: null, headers: {} }, { tenant: 'acme', timeoutMs: 1000 }));
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.kind, SpanKind.CLIENT);
    assert.equal(span?.attributes['error.type'], 'TIMEOUT');
    assert.equal(span?.attributes['server.address'], '::1');
  });
});
