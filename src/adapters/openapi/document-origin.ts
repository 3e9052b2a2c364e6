import { HttpClient, HttpResponse } from '../../application/ports/http-client.port';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { CopyMeta } from './process-document-cache';

/** Fetching an OpenAPI document from its origin, conditionally when a copy can be revalidated. */

const ACCEPT = 'application/json, application/yaml, text/yaml, application/x-yaml, text/x-yaml';
const USER_AGENT = 'flunq-executor/1.0';

/** DOCUMENT_FAILED: the document could not be fetched or used. */
export function documentFailed(detail: string, retryable: boolean, status = 502): WorkflowError {
  return new WorkflowError({ kind: 'communication', code: 'DOCUMENT_FAILED', title: 'OpenAPI Document Unavailable', detail, status, retryable });
}

/** Why the origin gave no usable answer, and whether a stale copy may stand in for it. */
export class OriginFailure extends Error {
  constructor(
    readonly error: WorkflowError,
    /** The origin is down or overloaded (network error, timeout, 5xx, 429), rather than refusing the document. */
    readonly unavailable: boolean,
  ) {
    super(error.detail);
  }
}

/** The first value of a response header. */
export function header(response: HttpResponse, name: string): string | undefined {
  return response.headers[name]?.[0];
}

/** How long a fetch may take and how large a document may be (OasDocumentSourceOptions). */
export interface FetchLimits {
  requestTimeoutMs: number;
  maxDocumentBytes: number;
}

/** GET of the document, conditional on `copy`'s validators when there is one. Throws OriginFailure when no usable answer came. */
export async function fetchDocument(http: HttpClient, url: string, copy: CopyMeta | undefined, limits: FetchLimits): Promise<HttpResponse> {
  const headers: Record<string, string> = { Accept: ACCEPT, 'User-Agent': USER_AGENT };
  if (copy?.etag !== undefined) headers['If-None-Match'] = copy.etag;
  if (copy?.lastModified !== undefined) headers['If-Modified-Since'] = copy.lastModified;
  let response: HttpResponse;
  try {
    response = await http.send({ method: 'GET', url, headers, timeoutMs: limits.requestTimeoutMs, followRedirects: true, maxResponseBytes: limits.maxDocumentBytes });
  } catch (error) {
    if (isWorkflowError(error)) throw new OriginFailure(error, error.kind === 'timeout' || error.code === 'NETWORK');
    throw new OriginFailure(documentFailed(`failed to fetch document: ${(error as Error).message}`, true), true);
  }
  const { status } = response;
  if (status >= 500 || status === 429) throw new OriginFailure(documentFailed(`failed to fetch document: HTTP ${status}`, true, status >= 500 ? 502 : status), true);
  if (status === 304 && !copy) throw new OriginFailure(documentFailed('failed to fetch document: HTTP 304 to a request that had no copy to revalidate', false), false);
  return response;
}

/** `url` without its query and fragment. */
export function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return url;
  }
}
