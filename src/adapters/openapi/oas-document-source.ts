import yaml from 'js-yaml';
import OASNormalize from 'oas-normalize';
import { Clock } from '../../application/ports/clock.port';
import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { OpenApiDocument, OpenApiDocumentSource } from '../../application/ports/openapi-document-source.port';
import { isPlainObject, JsonObject } from '../../domain/json';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { DereferencedOpenApiDocument } from './openapi-document';

export interface OasDocumentSourceOptions {
  /** How long a loaded document is reused (OPENAPI_CACHE_TTL_SECONDS); 0 disables the cache. */
  cacheTtlMs: number;
  /** Deadline of one document fetch (OPENAPI_REQUEST_TIMEOUT_SECONDS). */
  requestTimeoutMs: number;
  /** Largest document accepted, in bytes. */
  maxDocumentBytes: number;
}

const ACCEPT = 'application/json, application/yaml, text/yaml, application/x-yaml, text/x-yaml';
const USER_AGENT = 'flunq-executor/1.0';
const YAML_LINE = /^(openapi:|swagger:|---|info:|paths:|components:|servers:)/;

function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'OpenAPI Document Unavailable', detail, status, retryable });
}

function invalidDocument(detail: string): WorkflowError {
  return new WorkflowError({ kind: 'configuration', code: 'DOCUMENT_FAILED', title: 'Invalid OpenAPI Document', detail });
}

/** Go's format detection (protocol h.2): content type, then the first character, then line shapes. */
export function looksLikeYaml(text: string, contentType: string): boolean {
  if (/ya?ml/i.test(contentType)) return true;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return false;
  const lines = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .slice(0, 10);
  return lines.some((l) => YAML_LINE.test(l) || (l.includes(':') && !l.includes('"') && !l.includes('{')));
}

export function parseDocumentText(text: string, contentType: string): JsonObject {
  let parsed: unknown;
  try {
    if (looksLikeYaml(text, contentType)) parsed = yaml.load(text);
    else {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = yaml.load(text);
      }
    }
  } catch (error) {
    throw invalidDocument(`document is neither JSON nor YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isPlainObject(parsed)) throw invalidDocument('document is not an object');
  return parsed;
}

/** Validates, converts Swagger 2.0 and dereferences local `$ref`s (external ones are never fetched). */
export async function normalizeDocument(raw: JsonObject): Promise<JsonObject> {
  const version = raw['openapi'] ?? raw['swagger'];
  if (version === undefined) throw invalidDocument('missing version field');
  if (!isPlainObject(raw['paths']) || Object.keys(raw['paths']).length === 0) throw invalidDocument('document contains no paths');
  const options = { enablePaths: false, parser: { resolve: { external: false } } };
  try {
    let document: JsonObject = raw;
    if (raw['swagger'] !== undefined && `${typeof version === 'string' || typeof version === 'number' ? version : ''}`.startsWith('2')) document = (await new OASNormalize(raw, options).convert()) as unknown as JsonObject;
    const dereferenced: unknown = await new OASNormalize(document, options).dereference();
    if (!isPlainObject(dereferenced)) throw new Error('dereferencing gave no document');
    return dereferenced;
  } catch (error) {
    if (isWorkflowError(error)) throw error;
    throw invalidDocument(`invalid OpenAPI document: ${(error as Error).message.split('\n')[0] ?? String(error)}`);
  }
}

interface CacheEntry {
  document: OpenApiDocument;
  expiresAtMs: number;
}

/**
 * OpenAPI documents fetched through the HttpClient port (address policy, size cap and
 * timeout included), cached per exact URL for the TTL; concurrent loads of one URL share
 * one fetch; failures are not cached.
 */
export class OasDocumentSource implements OpenApiDocumentSource {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<OpenApiDocument>>();

  constructor(
    private readonly http: HttpClient,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly options: OasDocumentSourceOptions,
  ) {}

  async load(url: string, signal?: AbortSignal): Promise<OpenApiDocument> {
    const cached = this.cache.get(url);
    if (cached && cached.expiresAtMs > this.clock.now()) {
      this.metrics.openApiCache('hit');
      return cached.document;
    }
    if (cached) this.cache.delete(url);
    let pending = this.loading.get(url);
    if (pending) this.metrics.openApiCache('hit');
    else {
      this.metrics.openApiCache('miss');
      pending = this.fetchAndParse(url).then(
        (document) => {
          this.loading.delete(url);
          if (this.options.cacheTtlMs > 0) this.cache.set(url, { document, expiresAtMs: this.clock.now() + this.options.cacheTtlMs });
          return document;
        },
        (error: unknown) => {
          this.loading.delete(url);
          throw error;
        },
      );
      this.loading.set(url, pending);
    }
    return signal ? this.abortable(pending, signal) : pending;
  }

  /** Drops every cached document (tests, operations). */
  clear(): void {
    this.cache.clear();
  }

  private abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async fetchAndParse(url: string): Promise<OpenApiDocument> {
    let response: HttpResponse;
    try {
      response = await this.http.send({
        method: 'GET',
        url,
        headers: { Accept: ACCEPT, 'User-Agent': USER_AGENT },
        timeoutMs: this.options.requestTimeoutMs,
        followRedirects: true,
        maxResponseBytes: this.options.maxDocumentBytes,
      });
    } catch (error) {
      if (isWorkflowError(error)) throw error;
      throw documentFailed(`failed to fetch document: ${(error as Error).message}`, true);
    }
    if (response.status < 200 || response.status > 299) {
      throw documentFailed(`failed to fetch document: HTTP ${response.status}`, response.status >= 500 || response.status === 429, response.status >= 500 ? 502 : response.status);
    }
    const text = new TextDecoder('utf-8').decode(response.body);
    const contentType = response.headers['content-type']?.[0] ?? '';
    const raw = parseDocumentText(text, contentType);
    const document = await normalizeDocument(raw);
    return new DereferencedOpenApiDocument(document, response.url || url);
  }
}
