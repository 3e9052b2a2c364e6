import { DEFAULT_MAX_JSON_DEPTH, jsonTextTooDeep } from '../../../domain/json-limits';
import { WorkflowError } from '../../../domain/workflow-error';
import { HttpResponse } from '../../ports/http-client.port';

export const USER_AGENT = 'flunq-executor/1.0';

/** Canonical forms already computed: the same few header names come back on every response. */
const canonicalNames = new Map<string, string>();
const MAX_CACHED_NAMES = 1000;

/** `x-trace-id` → `X-Trace-Id`, as Go's http.Header canonicalises names. */
export function canonicalHeaderName(name: string): string {
  let canonical = canonicalNames.get(name);
  if (canonical === undefined) {
    canonical = name
      .toLowerCase()
      .split('-')
      .map((part) => (part === '' ? part : part.charAt(0).toUpperCase() + part.slice(1)))
      .join('-');
    if (canonicalNames.size >= MAX_CACHED_NAMES) canonicalNames.clear();
    canonicalNames.set(name, canonical);
  }
  return canonical;
}

/** Response headers as flunq expects them: canonical names → arrays of values. */
export function canonicalHeaders(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(headers).sort()) {
    const key = canonicalHeaderName(name);
    out[key] = [...(out[key] ?? []), ...(headers[name] ?? [])];
  }
  return out;
}

export function bodyText(response: HttpResponse): string {
  return new TextDecoder('utf-8').decode(response.body);
}

/**
 * Empty → null; any JSON value → parsed; anything else → the text. A JSON body nested deeper than
 * `maxDepth` is refused before it is parsed (RESPONSE_TOO_DEEP): everything that later walks the
 * output recurses per level.
 */
export function parseBody(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (text.trim() === '') return null;
  if (jsonTextTooDeep(text, maxDepth)) {
    throw new WorkflowError({ kind: 'communication', code: 'RESPONSE_TOO_DEEP', title: 'Response Too Deeply Nested', detail: `the response body nests deeper than ${maxDepth} levels of arrays and objects`, status: 502, retryable: false, data: { limit: maxDepth } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard, padded base64 (no Buffer in the application layer). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63] ?? '';
    out += B64[(n >> 12) & 63] ?? '';
    out += i + 1 < bytes.length ? (B64[(n >> 6) & 63] ?? '') : '=';
    out += i + 2 < bytes.length ? (B64[n & 63] ?? '') : '=';
  }
  return out;
}

export function base64Text(text: string): string {
  return base64(new TextEncoder().encode(text));
}

/** Request header values as text; only strings (Go) plus numbers and booleans are kept. */
export function stringHeaders(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** Sets a header, replacing any existing one whose name differs only in case. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
  headers[name] = value;
}

export function getHeader(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

/** Scalars as Go formats them for a URL: numbers and booleans in their plain form. */
export function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

/**
 * The `Idempotency-Key` header value of an operation key: a quoted string (a structured-field
 * string, as the IETF draft defines the header) of printable ASCII, any other character
 * percent-encoded.
 */
export function idempotencyKeyHeader(operationKey: string): string {
  const encoder = new TextEncoder();
  const escaped = operationKey.replace(/[^\x21\x23-\x5b\x5d-\x7e]/gu, (c) => [...encoder.encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `"${escaped}"`;
}
