import { AsyncApiDocuments, AsyncApiModel } from '../../application/ports/asyncapi-documents.port';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { AsyncApiParseThread } from './asyncapi-parse-thread';
import { untilAborted } from '../../domain/until-aborted';

export interface AsyncApiDocumentSettings {
  /** How long a loaded document is reused, in ms. */
  cacheTtlMs: number;
  /** Documents held at once (least recently used dropped first). */
  maxDocuments: number;
  /** Fetching and parsing one document, in ms. */
  requestTimeoutMs: number;
  maxDocumentBytes: number;
}

export const DEFAULT_ASYNCAPI_DOCUMENT_SETTINGS: AsyncApiDocumentSettings = { cacheTtlMs: 300_000, maxDocuments: 64, requestTimeoutMs: 10_000, maxDocumentBytes: 5 * 1024 * 1024 };

const ACCEPT = 'application/yaml, application/x-yaml, application/json;q=0.9, text/yaml;q=0.8, */*;q=0.1';

function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'AsyncAPI Document Unavailable', detail, status, retryable });
}

interface Entry {
  model: Promise<AsyncApiModel>;
  loadedAt: number;
}

/**
 * AsyncAPI documents fetched through the HttpClient port (address policy, size cap, timeout),
 * read as YAML, checked for external references and parsed with @asyncapi/parser in a worker thread within the time limit (a document is untrusted:
 * its parse never runs on the event loop, and one that runs too long ends with its thread), and
 * cached per tenant and URL with a TTL and a bound. Concurrent loads of one document share one parse.
 */
export class ParserAsyncApiDocuments implements AsyncApiDocuments {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly settings: AsyncApiDocumentSettings = DEFAULT_ASYNCAPI_DOCUMENT_SETTINGS,
    private readonly parser = new AsyncApiParseThread(),
  ) {}

  /** Stops the parser's thread (the service is stopping). */
  close(): Promise<void> {
    return this.parser.close();
  }

  async load(tenant: string, url: string, signal?: AbortSignal): Promise<AsyncApiModel> {
    const key = `${tenant}\n${url}`;
    const now = this.clock.now();
    let entry = this.cache.get(key);
    if (entry && now - entry.loadedAt > this.settings.cacheTtlMs) entry = undefined;
    if (entry) {
      // Most recently used last: the first key is the one to drop.
      this.cache.delete(key);
      this.cache.set(key, entry);
    } else {
      const fresh: Entry = { model: this.fetchAndParse(tenant, url), loadedAt: now };
      entry = fresh;
      this.cache.set(key, fresh);
      fresh.model.catch(() => {
        if (this.cache.get(key) === fresh) this.cache.delete(key);
      });
      while (this.cache.size > this.settings.maxDocuments) this.cache.delete(this.cache.keys().next().value as string);
    }
    return signal ? untilAborted(entry.model, signal, () => errors.cancelled('task cancelled while loading the AsyncAPI document')) : entry.model;
  }

  private async fetchAndParse(tenant: string, url: string): Promise<AsyncApiModel> {
    let response: HttpResponse;
    try {
      response = await this.http.send({
        method: 'GET',
        url,
        headers: { Accept: ACCEPT },
        timeoutMs: this.settings.requestTimeoutMs,
        followRedirects: true,
        maxResponseBytes: this.settings.maxDocumentBytes,
      });
    } catch (error) {
      if (isWorkflowError(error)) throw error;
      throw documentFailed(`failed to fetch document: ${(error as Error).message}`, true);
    }
    if (response.status < 200 || response.status > 299) {
      throw documentFailed(`failed to fetch document: HTTP ${response.status}`, response.status >= 500 || response.status === 429, response.status >= 500 ? 502 : response.status);
    }
    // Read as YAML, checked for external references and parsed in the parser's thread, not here.
    return this.parser.parse(new TextDecoder().decode(response.body), url, this.settings.requestTimeoutMs, tenant);
  }
}

