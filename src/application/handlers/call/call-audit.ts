import { isSensitiveName, REDACTED, redactText, redactUrl } from '../../../domain/redaction';
import { LogFields } from '../../ports/logger.port';
import { Secrets } from './authentication';

/** The outbound-call audit log (CALL_AUDIT_LOG, CALL_AUDIT_BODIES, CALL_AUDIT_BODY_BYTES). */
export interface CallAuditSettings {
  enabled: boolean;
  /** Adds the request and response bodies, redacted and cut to `maxBodyBytes`. */
  bodies: boolean;
  maxBodyBytes: number;
}

export const DEFAULT_CALL_AUDIT: CallAuditSettings = { enabled: false, bodies: false, maxBodyBytes: 2048 };

const decoder = new TextDecoder('utf-8', { fatal: false });
/** At most this much beyond the cut is redacted with it (an encoded secret is at most 9 times as long as itself). */
const MAX_MARGIN = 65_536;
/** `"name": "value"` in JSON text, for blanking values under sensitive names (bounded input, linear). */
const JSON_STRING_MEMBER = /"((?:[^"\\]|\\.){1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** The URL as an audit line shows it: no user info, secret query values and every secret the call used blanked out. */
export function auditUrl(url: string, secrets: Secrets): string {
  return redactText(redactUrl(url, secrets.names), secrets.values.filter((v) => v !== ''));
}

/**
 * A body as an audit line shows it: text (bytes decoded as UTF-8), every secret the call used
 * blanked out, values under sensitive JSON names (`password`, `token`, …) blanked out, then cut to
 * `maxBytes` characters. Redaction runs on a window a little longer than the cut, so that a secret
 * that straddles the cut is blanked whole rather than left half visible.
 */
export function auditBody(body: string | Uint8Array | undefined, secrets: Secrets, maxBytes: number): string | undefined {
  if (body === undefined) return undefined;
  const values = secrets.values.filter((v) => v !== '');
  const margin = Math.min(MAX_MARGIN, values.reduce((longest, v) => Math.max(longest, v.length * 9), 0) + 256);
  const window = typeof body === 'string' ? body.slice(0, maxBytes + margin) : decoder.decode(body.subarray(0, maxBytes + margin));
  const total = typeof body === 'string' ? body.length : body.byteLength;
  let text = redactText(window, values);
  text = text.replace(JSON_STRING_MEMBER, (whole: string, name: string, colon: string) => (isSensitiveName(name, secrets.names) ? `"${name}"${colon}"${REDACTED}"` : whole));
  return total > maxBytes || text.length > maxBytes ? `${text.slice(0, maxBytes)}… (${total} bytes)` : text;
}

/** One audit line's fields (the message is `outbound call`). */
export interface AuditLine extends LogFields {
  audit: 'outbound_call';
  protocol: string;
  method: string;
  url: string;
  /** The answer's status (an HTTP status, a gRPC status name); absent when no answer came. */
  status?: number | string;
  /** The error code when the call failed without an answer (TIMEOUT, NETWORK, RATE_LIMITED…). */
  error?: string;
  durationMs: number;
  rateLimitWaitMs?: number;
  taskId: string;
  workflowId: string;
  traceId?: string;
  requestBody?: string;
  responseBody?: string;
}
