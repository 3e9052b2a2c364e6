import { redactUrl } from '../../../domain/redaction';
import { toWorkflowError, WorkflowError } from '../../../domain/workflow-error';
import { HttpBodyChunks, HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client.port';
import { USER_AGENT } from './http-message';
import { requestTooLarge } from './request-content';

/**
 * The files of a request body given by URL: each opened (headers read) before the request is sent,
 * its bytes left to stream while it is sent; a failed fetch is named by its part and URL.
 */

export interface FileFetchEnvironment {
  http: HttpClient;
  /** CALL_MAX_REQUEST_BYTES. */
  maxBytes: number;
  /** Time left for the call, in ms (file fetches count against it). */
  timeoutMs: () => number;
  signal?: AbortSignal;
  /** False when the workflow retries the call itself (no transport retries for file fetches either). */
  transportRetries: boolean;
  /**
   * Sends a file's GET: the call handler passes it through the rate limits and the audit log like
   * any other outbound call of the task. Default: straight to `http`.
   */
  fetch?: (request: HttpRequest) => Promise<HttpResponse>;
}

/** One file or field, its bytes known (inline) or coming from an opened fetch. */
export interface Source {
  label: string;
  bytes?: Uint8Array;
  url?: string;
  chunks?: HttpBodyChunks;
  /** Bytes the fetched file declared, if it did. */
  declared?: number;
  /** The Content-Type the file's server gave. */
  servedType?: string;
}

/** A failed file fetch, named by its part and (redacted) URL; a file over the limit is REQUEST_TOO_LARGE. */
export function fileFailure(source: Source, thrown: unknown, maxBytes: number): WorkflowError {
  const error = toWorkflowError(thrown);
  if (error.code === 'RESPONSE_TOO_LARGE') return requestTooLarge(maxBytes, `${source.label} (${redactUrl(source.url ?? '')})`);
  if (error.code === 'REQUEST_TOO_LARGE' || error.detail.startsWith(source.label)) return error;
  return error.with({ detail: `${source.label}: could not fetch ${redactUrl(source.url ?? '')}: ${error.detail}`, cause: error });
}

function unavailable(source: Source, status: number): WorkflowError {
  return new WorkflowError({
    kind: 'communication',
    code: 'FILE_FETCH_FAILED',
    title: 'File Not Fetched',
    detail: `${source.label}: could not fetch ${redactUrl(source.url ?? '')}: the server answered ${status}`,
    status: 502,
    retryable: status === 408 || status === 429 || status >= 500,
    data: { file_status: status },
  });
}

/** Opens a file's fetch: headers read, body left to stream. */
export async function openFile(source: Source, env: FileFetchEnvironment, maxBytes: number): Promise<void> {
  const url = source.url ?? '';
  let response;
  try {
    response = await (env.fetch ?? ((r: HttpRequest) => env.http.send(r)))({
      method: 'GET',
      url,
      headers: { 'User-Agent': USER_AGENT },
      timeoutMs: env.timeoutMs(),
      followRedirects: true,
      maxResponseBytes: Math.max(0, maxBytes),
      transportRetries: env.transportRetries,
      bodyInChunks: true,
      ...(env.signal ? { signal: env.signal } : {}),
    });
  } catch (error) {
    throw fileFailure(source, error, env.maxBytes);
  }
  if (response.status < 200 || response.status > 299) {
    response.chunks?.cancel();
    throw unavailable(source, response.status);
  }
  // An adapter (or a fake) may hand the body over whole instead of as a stream.
  source.chunks = response.chunks ?? wholeBody(response.body);
  source.declared = response.chunks ? response.chunks.length : response.body.byteLength;
  source.servedType = response.headers['content-type']?.[0];
}

function wholeBody(body: Uint8Array): HttpBodyChunks {
  let given = false;
  return {
    length: body.byteLength,
    cancel: () => undefined,
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<Uint8Array>> => {
        if (given) return Promise.resolve({ done: true, value: undefined });
        given = true;
        return Promise.resolve({ done: false, value: body });
      },
    }),
  };
}
