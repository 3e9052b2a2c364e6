import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import axiosRetry, { exponentialDelay, isNetworkError } from 'axios-retry';
import { DEFAULT_HTTP_CLIENT_SETTINGS, HttpClient, HttpClientSettings, HttpRequest, HttpResponse, IDEMPOTENT_METHODS, parseHttpUrl } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { AddressDeniedError, checkLiteralHost, guardedLookup } from './address-policy';

export type AxiosHttpClientOptions = HttpClientSettings;

export const DEFAULT_HTTP_OPTIONS: AxiosHttpClientOptions = DEFAULT_HTTP_CLIENT_SETTINGS;

function communication(detail: string, code: 'NETWORK' | 'RESPONSE_TOO_LARGE' | 'ADDRESS_DENIED', retryable: boolean, cause?: unknown): WorkflowError {
  return new WorkflowError({ kind: 'communication', code, title: 'Communication Failed', detail, status: code === 'NETWORK' ? 503 : 502, retryable, cause });
}

function rootCause(error: unknown): unknown {
  let current: unknown = error;
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    if (current instanceof AddressDeniedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}

/**
 * HttpClient on axios: keep-alive agents (pooled sockets), a deadline for the whole exchange
 * (transport retries included), a response-size cap, redirects only when asked for (every hop
 * checked against the address policy), and transport retries only for network errors without
 * a response on idempotent methods — a POST is never sent twice.
 */
export class AxiosHttpClient implements HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly axios: AxiosInstance;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: AxiosHttpClientOptions = DEFAULT_HTTP_OPTIONS,
  ) {
    const agentOptions = {
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: options.maxSocketsPerHost,
      maxFreeSockets: Math.min(16, options.maxSocketsPerHost),
      timeout: 60_000,
      ...(options.denyPrivateNetworks ? { lookup: guardedLookup } : {}),
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.axios = axios.create();
    const retries = Math.max(0, Math.min(2, options.transportRetries));
    axiosRetry(this.axios, {
      retries,
      retryDelay: (count, error) => exponentialDelay(count, error, options.retryDelayMs),
      shouldResetTimeout: true,
      retryCondition: (error) => {
        const method = (error.config?.method ?? '').toUpperCase();
        if (!IDEMPOTENT_METHODS.has(method) || error.response) return false;
        if (rootCause(error) instanceof AddressDeniedError) return false;
        if (error.code === 'ERR_BAD_RESPONSE' || error.code === 'ERR_FR_TOO_MANY_REDIRECTS') return false;
        return isNetworkError(error);
      },
      onRetry: () => this.metrics.retry('transport', 'call'),
    });
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const url = parseHttpUrl(request.url);
    const deny = this.options.denyPrivateNetworks;
    if (deny) this.check(() => checkLiteralHost(url.hostname));

    const timeoutMs = Math.max(1, Math.floor(request.timeoutMs));
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const maxBytes = request.maxResponseBytes ?? this.options.maxResponseBytes;
    const headers: Record<string, string> = { ...request.headers };
    let response: AxiosResponse<ArrayBuffer>;
    try {
      response = await this.axios.request<ArrayBuffer>({
        method: request.method,
        url: request.url,
        headers,
        data: request.body,
        timeout: timeoutMs,
        signal,
        responseType: 'arraybuffer',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        maxRedirects: request.followRedirects ? this.options.maxRedirects : 0,
        // The workflow retries this call itself: send it once (axios-retry's per-request setting).
        ...(request.transportRetries === false ? { 'axios-retry': { retries: 0 } } : {}),
        beforeRedirect: deny ? (options: Record<string, unknown>) => checkLiteralHost(typeof options['hostname'] === 'string' ? options['hostname'] : '') : undefined,
        maxContentLength: maxBytes,
        maxBodyLength: Infinity,
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
        decompress: true,
        proxy: false,
      });
    } catch (error) {
      throw this.translate(error, request, deadline, timeoutMs, maxBytes);
    }
    return {
      status: response.status,
      headers: this.headersOf(response),
      body: new Uint8Array(response.data ?? new ArrayBuffer(0)),
      url: this.finalUrl(response, request.url),
    };
  }

  close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    return Promise.resolve();
  }

  private check(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof AddressDeniedError) throw communication(error.message, 'ADDRESS_DENIED', false, error);
      throw error;
    }
  }

  private translate(error: unknown, request: HttpRequest, deadline: AbortSignal, timeoutMs: number, maxBytes: number): WorkflowError {
    if (isWorkflowError(error)) return error;
    const root = rootCause(error);
    if (root instanceof AddressDeniedError) return communication(root.message, 'ADDRESS_DENIED', false, root);
    const axiosError = error as AxiosError;
    const code = axiosError.code ?? '';
    if (request.signal?.aborted) {
      const reason: unknown = request.signal.reason;
      return isWorkflowError(reason) ? reason : errors.cancelled('request cancelled');
    }
    if (deadline.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return errors.timeout(`request timed out after ${timeoutMs} ms`, { timeout_ms: timeoutMs });
    }
    const message = axiosError.message || String(error);
    if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(message)) {
      return communication(`response body exceeds the limit of ${maxBytes} bytes`, 'RESPONSE_TOO_LARGE', false, error);
    }
    if (code === 'ERR_FR_TOO_MANY_REDIRECTS') return communication(`too many redirects (more than ${this.options.maxRedirects})`, 'NETWORK', false, error);
    return communication(code && !message.includes(code) ? `${code}: ${message}` : message, 'NETWORK', true, error);
  }

  private headersOf(response: AxiosResponse): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const raw = response.headers as Record<string, unknown>;
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined || value === null) continue;
      const key = name.toLowerCase();
      const values = (Array.isArray(value) ? (value as unknown[]) : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      out[key] = [...(out[key] ?? []), ...values];
    }
    return out;
  }

  private finalUrl(response: AxiosResponse, fallback: string): string {
    const req = response.request as { res?: { responseUrl?: string } } | undefined;
    return req?.res?.responseUrl ?? fallback;
  }
}
