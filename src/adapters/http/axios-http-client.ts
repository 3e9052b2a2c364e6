import http from 'node:http';
import { Readable } from 'node:stream';
import https from 'node:https';
import axios, { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import axiosRetry, { isNetworkError } from 'axios-retry';
import { HttpClient, HttpRequest, HttpResponse } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { WorkflowError } from '../../domain/workflow-error';
import { checkLiteralHost, guardedLookup } from './address-policy';
import { DEFAULT_HTTP_CLIENT_SETTINGS, HttpClientSettings, MAX_TRANSPORT_RETRIES, responseLimitOf, timeoutOf, transportRetriesFor, transportRetryDelayMs } from './http-client-settings';
import { addressDenied, deniedIn, exchangeFailure, responseTooLarge, tooManyRedirects } from './http-errors';
import { headerLists, parseHttpUrl } from './http-exchange';
import { isStreamedBody, readableBody, responseStream, streamedBodyRedirect } from './streamed-body';

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
    private readonly settings: HttpClientSettings = DEFAULT_HTTP_CLIENT_SETTINGS,
  ) {
    const agentOptions = {
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: settings.maxSocketsPerHost,
      maxFreeSockets: Math.min(16, settings.maxSocketsPerHost),
      timeout: 60_000,
      ...(settings.denyPrivateNetworks ? { lookup: guardedLookup } : {}),
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.axios = axios.create();
    // Each request sets its own number of retries (transportRetriesFor); this is only the ceiling.
    axiosRetry(this.axios, {
      retries: MAX_TRANSPORT_RETRIES,
      retryDelay: (count) => transportRetryDelayMs(count, settings),
      shouldResetTimeout: true,
      retryCondition: (error) => {
        if (error.response || deniedIn(error)) return false;
        if (error.code === 'ERR_BAD_RESPONSE' || error.code === 'ERR_FR_TOO_MANY_REDIRECTS') return false;
        return isNetworkError(error);
      },
      onRetry: () => this.metrics.retry('transport', 'call'),
    });
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const url = parseHttpUrl(request.url);
    const deny = this.settings.denyPrivateNetworks;
    if (deny) this.checkHost(url.hostname);

    const timeoutMs = timeoutOf(request);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const maxBytes = responseLimitOf(request, this.settings);
    const headers: Record<string, string> = { ...request.headers };
    const streamed = isStreamedBody(request.body);
    if (request.bodyInChunks && !Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) headers['Accept-Encoding'] = 'identity';
    let response: AxiosResponse<ArrayBuffer | Readable>;
    try {
      response = await this.axios.request<ArrayBuffer | Readable>({
        method: request.method,
        url: request.url,
        headers,
        data: request.body === undefined || !isStreamedBody(request.body) ? request.body : readableBody(request.body),
        timeout: timeoutMs,
        signal,
        responseType: request.bodyInChunks ? 'stream' : 'arraybuffer',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        maxRedirects: request.followRedirects ? this.settings.maxRedirects : 0,
        // Dropped on a hop to another origin (axios already drops Authorization and Cookie there).
        sensitiveHeaders: request.sensitiveHeaders ? [...request.sensitiveHeaders] : undefined,
        'axios-retry': { retries: transportRetriesFor(request, this.settings) },
        beforeRedirect: deny || streamed ? (options: Record<string, unknown>, details: { statusCode?: number }) => this.beforeRedirect(options, details, deny, streamed, request.method) : undefined,
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
    const base = { status: response.status, headers: headerLists(response.headers), url: this.finalUrl(response, request.url) };
    const data = response.data;
    if (!(data instanceof Readable)) return { ...base, body: new Uint8Array(data ?? new ArrayBuffer(0)) };
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      data.destroy();
      throw responseTooLarge(maxBytes);
    }
    const encoded = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const length = (encoded === '' || encoded === 'identity') && Number.isFinite(declared) ? declared : undefined;
    const chunks = responseStream(data, { maxBytes, signal, length, failure: (error) => this.translate(error, request, deadline, timeoutMs, maxBytes), done: () => undefined });
    return { ...base, body: new Uint8Array(0), chunks };
  }

  /**
   * Every redirect hop: a literal host the policy refuses, and a 307/308 (or a 301/302 that keeps
   * the method other than POST) that would send a streamed body again, fail before it is followed.
   */
  private beforeRedirect(options: Record<string, unknown>, details: { statusCode?: number }, deny: boolean, streamed: boolean, method: string): void {
    if (deny) checkLiteralHost(typeof options['hostname'] === 'string' ? options['hostname'] : '');
    const status = details.statusCode ?? 0;
    const keepsBody = status === 307 || status === 308 || ((status === 301 || status === 302) && method.toUpperCase() !== 'POST');
    if (streamed && keepsBody) throw streamedBodyRedirect(status);
  }

  close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    return Promise.resolve();
  }

  /** A literal host the policy refuses fails before any connection (the agents' lookup sees only names). */
  private checkHost(hostname: string): void {
    try {
      checkLiteralHost(hostname);
    } catch (error) {
      const denied = deniedIn(error);
      if (denied) throw addressDenied(denied);
      throw error;
    }
  }

  private translate(error: unknown, request: HttpRequest, deadline: AbortSignal, timeoutMs: number, maxBytes: number): WorkflowError {
    const code = (error as AxiosError).code ?? '';
    const timedOut = deadline.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT';
    return exchangeFailure(error, { request, timedOut, timeoutMs }, () => {
      if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test((error as AxiosError).message ?? '')) return responseTooLarge(maxBytes, error);
      if (code === 'ERR_FR_TOO_MANY_REDIRECTS') return tooManyRedirects(this.settings.maxRedirects, error);
      return undefined;
    });
  }

  private finalUrl(response: AxiosResponse, fallback: string): string {
    const req = response.request as { res?: { responseUrl?: string } } | undefined;
    return req?.res?.responseUrl ?? fallback;
  }
}
