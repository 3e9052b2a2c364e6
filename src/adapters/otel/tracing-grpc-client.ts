import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { GrpcCallRequest, GrpcClient, GrpcMethod, GrpcReply } from '../../application/ports/grpc-client.port';
import { toWorkflowError } from '../../domain/workflow-error';
import { INSTRUMENTATION_SCOPE } from './otel-tracer';

/**
 * Every gRPC call as a CLIENT span, the child of the current task span, with its `traceparent`
 * (and `tracestate`) in the request metadata. Attributes name the service, method, host and port
 * and the status code: never the message or the metadata.
 */
export class TracingGrpcClient implements GrpcClient {
  private readonly tracer = trace.getTracer(INSTRUMENTATION_SCOPE);

  constructor(private readonly inner: GrpcClient) {}

  method(tenant: string, proto: string, service: string, method: string, timeoutMs: number, signal?: AbortSignal): Promise<GrpcMethod> {
    return this.inner.method(tenant, proto, service, method, timeoutMs, signal);
  }

  async call(method: GrpcMethod, request: GrpcCallRequest): Promise<GrpcReply> {
    const span = this.tracer.startSpan(`${method.service}/${method.method}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': method.service, 'rpc.method': method.method, 'server.address': request.target.host, 'server.port': request.target.port },
    });
    const metadata = { ...request.metadata };
    propagation.inject(trace.setSpan(context.active(), span), metadata);
    try {
      const reply = await this.inner.call(method, { ...request, metadata });
      span.setAttribute('rpc.grpc.status_code', reply.code);
      if (reply.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR });
      return reply;
    } catch (error) {
      const code = toWorkflowError(error).code;
      span.setAttribute('error.type', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
