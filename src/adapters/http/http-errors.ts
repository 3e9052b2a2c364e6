import { HttpRequest } from '../../application/ports/http-client.port';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';

type CommunicationCode = 'NETWORK' | 'RESPONSE_TOO_LARGE' | 'ADDRESS_DENIED';

/** A `communication` failure: 503 for a network error, 502 for an answer that cannot be used. */
export function communicationError(detail: string, code: CommunicationCode, retryable: boolean, cause?: unknown): WorkflowError {
  return new WorkflowError({ kind: 'communication', code, title: 'Communication Failed', detail, status: code === 'NETWORK' ? 503 : 502, retryable, cause });
}

/** RESPONSE_TOO_LARGE: the body (before or after decompression) passed the request's limit. */
export function responseTooLarge(maxBytes: number, cause?: unknown): WorkflowError {
  return communicationError(`response body exceeds the limit of ${maxBytes} bytes`, 'RESPONSE_TOO_LARGE', false, cause);
}

/** More redirect hops than allowed: a NETWORK failure that a transport retry would only repeat. */
export function tooManyRedirects(maxRedirects: number, cause?: unknown): WorkflowError {
  return communicationError(`too many redirects (more than ${maxRedirects})`, 'NETWORK', false, cause);
}

/**
 * The address policy's refusal (an error whose `code` is ADDRESS_DENIED) somewhere in the cause
 * chain: HTTP libraries wrap the errors of a connection's `lookup`.
 */
export function deniedIn(error: unknown): Error | undefined {
  let current: unknown = error;
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    if ((current as { code?: unknown }).code === 'ADDRESS_DENIED') return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A WorkflowError somewhere in the cause chain: what a streamed request body threw (a file too
 * large or unreachable), as the HTTP library passes it on, wrapped or not.
 */
function workflowErrorIn(error: unknown): WorkflowError | undefined {
  let current: unknown = error;
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    if (isWorkflowError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** ADDRESS_DENIED, never retried: the same name would resolve to the same refused address. */
export function addressDenied(refusal: Error): WorkflowError {
  return communicationError(refusal.message, 'ADDRESS_DENIED', false, refusal);
}

export interface ExchangeEnd {
  request: HttpRequest;
  /** The request's own deadline passed (as the adapter's library reports it). */
  timedOut: boolean;
  timeoutMs: number;
}

/**
 * Why an exchange ended without a response, in one order for both adapters: a WorkflowError
 * as it is (also when the library wrapped it); the address policy's refusal (ADDRESS_DENIED); what `classify` recognises of the
 * library's own errors (size limit, redirect limit); the caller's cancellation (the signal's
 * WorkflowError reason, else CANCELLED); the deadline (TIMEOUT); anything else is a retryable
 * NETWORK failure named by the library's error code.
 */
export function exchangeFailure(error: unknown, end: ExchangeEnd, classify: (error: unknown) => WorkflowError | undefined = () => undefined): WorkflowError {
  const own = workflowErrorIn(error);
  if (own) return own;
  const denied = deniedIn(error);
  if (denied) return addressDenied(denied);
  const known = classify(error);
  if (known) return known;
  const { request } = end;
  if (request.signal?.aborted) {
    const reason: unknown = request.signal.reason;
    return isWorkflowError(reason) ? reason : errors.cancelled('request cancelled');
  }
  if (end.timedOut) return errors.timeout(`request timed out after ${end.timeoutMs} ms`, { timeout_ms: end.timeoutMs });
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const message = (error instanceof Error && error.message) || String(error);
  return communicationError(typeof code === 'string' && code !== '' && !message.includes(code) ? `${code}: ${message}` : message, 'NETWORK', true, error);
}
