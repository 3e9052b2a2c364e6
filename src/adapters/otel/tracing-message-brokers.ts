import { context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BrokerCallOptions, BrokerTarget, MessageBrokers, OutgoingMessage, ReceivedMessage, ReplyOptions } from '../../application/ports/message-brokers.port';
import { toWorkflowError } from '../../domain/workflow-error';
import { INSTRUMENTATION_SCOPE } from './otel-tracer';

/**
 * Every message a call publishes (and every request with its reply) as a PRODUCER / CLIENT span,
 * the child of the current task span, with `traceparent` added to the message headers. Attributes
 * follow the messaging conventions: the system (the document's protocol), the destination, the
 * broker's host and port; never credentials, headers or payloads.
 */
export class TracingMessageBrokers implements MessageBrokers {
  private readonly tracer = trace.getTracer(INSTRUMENTATION_SCOPE);

  constructor(private readonly inner: MessageBrokers) {}

  protocols(): readonly string[] {
    return this.inner.protocols();
  }

  defaultPort(protocol: string): number | undefined {
    return this.inner.defaultPort(protocol);
  }

  publish(target: BrokerTarget, message: OutgoingMessage, options: BrokerCallOptions): Promise<void> {
    return this.traced('publish', SpanKind.PRODUCER, target, message, (traced) => this.inner.publish(target, traced, options));
  }

  request(target: BrokerTarget, message: OutgoingMessage, options: ReplyOptions): Promise<ReceivedMessage> {
    return this.traced('request', SpanKind.CLIENT, target, message, (traced) => this.inner.request(target, traced, options));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async traced<T>(operation: string, kind: SpanKind, target: BrokerTarget, message: OutgoingMessage, work: (message: OutgoingMessage) => Promise<T>): Promise<T> {
    const [address, port] = splitHostPort(target.host);
    const span: Span = this.tracer.startSpan(`${operation} ${message.address}`, {
      kind,
      attributes: {
        'messaging.system': target.protocol,
        'messaging.operation.type': operation === 'publish' ? 'send' : 'send_and_receive',
        'messaging.destination.name': message.address,
        'server.address': address,
        ...(port === undefined ? {} : { 'server.port': port }),
      },
    });
    const headers: Record<string, string> = { ...message.headers };
    propagation.inject(trace.setSpan(context.active(), span), headers);
    try {
      return await work({ ...message, headers });
    } catch (error) {
      const code = toWorkflowError(error).code;
      span.setAttribute('error.type', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  }
}

function splitHostPort(host: string): [string, number | undefined] {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(host);
  return match ? [match[1] ?? host, match[2] ? Number(match[2]) : undefined] : [host, undefined];
}
