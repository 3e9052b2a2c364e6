import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { HttpClient, HttpRequest, HttpResponse } from '../../application/ports/http-client.port';
import { toWorkflowError } from '../../domain/workflow-error';
import { INSTRUMENTATION_SCOPE } from './otel-tracer';

/**
 * Every outbound request (calls, OAuth2 tokens, OpenAPI documents) as a CLIENT span, the child of
 * the current task span, with its `traceparent` injected into the request headers. Attributes name
 * the method, scheme, host, port and path: never the query, credentials, headers or bodies.
 */
export class TracingHttpClient implements HttpClient {
  private readonly tracer = trace.getTracer(INSTRUMENTATION_SCOPE);

  constructor(private readonly inner: HttpClient) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    let url: URL | undefined;
    try {
      url = new URL(request.url);
    } catch {
      return this.inner.send(request);
    }
    const span = this.tracer.startSpan(request.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.scheme': url.protocol.replace(/:$/, ''),
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'url.path': url.pathname,
      },
    });
    const headers = { ...request.headers };
    propagation.inject(trace.setSpan(context.active(), span), headers);
    try {
      const response = await this.inner.send({ ...request, headers });
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
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
