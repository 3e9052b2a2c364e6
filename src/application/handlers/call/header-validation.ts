import { WorkflowError } from '../../../domain/workflow-error';

/** RFC 9110 §5.1: a field name is a token (`1*tchar`). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value (request splitting). */
const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** Other characters no HTTP/1.1 client sends in a value: controls except tab, and code points above 0xFF. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

function invalidHeader(detail: string, name: string): WorkflowError {
  return new WorkflowError({ kind: 'configuration', code: 'INVALID_HEADER', title: 'Invalid Header', detail, data: { header: name } });
}

/**
 * Refuses request headers that would corrupt the request: a name that is not an RFC 9110 token,
 * or a value with CR, LF or NUL (header injection) or another character HTTP cannot carry.
 * Checked before the request reaches the HTTP client and the circuit breaker, so such a task
 * fails once, as a `configuration` error (INVALID_HEADER): never sent, never retried by the
 * transport, never counted against the host. The detail names the header, never its value.
 */
export function checkRequestHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
    if (!TOKEN.test(name)) throw invalidHeader(`invalid request header name ${shown}: a header name is a token of letters, digits and !#$%&'*+-.^_\`|~ (RFC 9110)`, name);
    if (LINE_BREAK_OR_NUL.test(value)) throw invalidHeader(`invalid value of request header ${shown}: it contains CR, LF or NUL, which would split the request (RFC 9110)`, name);
    if (INVALID_VALUE_CHAR.test(value)) throw invalidHeader(`invalid value of request header ${shown}: it contains a control character or a character outside Latin-1`, name);
  }
}
