import { isPlainObject, JsonObject } from '../../../domain/json';
import { errors, WorkflowError } from '../../../domain/workflow-error';
import { PreparedContent, PreparedPart } from '../../ports/openapi-document-source.port';
import { contentClass, mediaTypeOf } from './response-content';

/**
 * Request bodies made of files and bytes (docs/call-content.md): `multipart/form-data` with fields
 * and files, and binary bodies. Files come as base64 in the task or are fetched from a URL while
 * the request is sent; either way the whole body stays within one size limit. Here: the body as
 * the task gives it (its parts, its file values, their base64); content-encoding.ts encodes it.
 */

const FILE_KEYS: ReadonlySet<string> = new Set(['base64', 'url', 'filename', 'content_type']);
const PART_KEYS: ReadonlySet<string> = new Set(['name', ...FILE_KEYS]);

/** A `configuration` error for a body the task gave wrong. */
export function invalid(detail: string): WorkflowError {
  return errors.configuration(`invalid request body: ${detail}`);
}

/** REQUEST_TOO_LARGE: what the call would send passes CALL_MAX_REQUEST_BYTES. */
export function requestTooLarge(limit: number, what: string): WorkflowError {
  return new WorkflowError({ kind: 'validation', code: 'REQUEST_TOO_LARGE', title: 'Request Too Large', detail: `${what} makes the request body larger than the limit of ${limit} bytes (CALL_MAX_REQUEST_BYTES)`, status: 413, retryable: false, data: { limit } });
}

/** A file the task gives: `{base64 | url, filename?, content_type?}`, nothing else. */
export function isFileValue(value: unknown): value is JsonObject {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (!keys.every((k) => FILE_KEYS.has(k))) return false;
  return (typeof value['base64'] === 'string') !== (typeof value['url'] === 'string');
}

/**
 * The parts of one form property: a file (an array of files repeats the name), else a field
 * (one part per scalar, an array of scalars repeating the name, JSON for objects); null gives none.
 */
export function propertyParts(name: string, value: unknown, file: boolean, contentType: string | undefined, out: PreparedPart[]): void {
  if (!file) return fieldParts(name, value, contentType, out);
  for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
    if (item === null || item === undefined) continue;
    const part: PreparedPart = { name, value: item, file: true };
    if (contentType !== undefined) part.contentType = contentType;
    out.push(part);
  }
}

/** A field's parts: one per scalar (an array repeats the name), JSON for objects; null gives none. */
function fieldParts(name: string, value: unknown, contentType: string | undefined, out: PreparedPart[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    for (const item of value) fieldParts(name, item, contentType, out);
    return;
  }
  const part: PreparedPart = { name, value, file: false };
  if (contentType !== undefined) part.contentType = contentType;
  out.push(part);
}

/**
 * The parts of `{fields: {name: value}, files: [{name, filename?, content_type?, base64 | url}]}`,
 * the explicit multipart form of a body.
 */
export function explicitParts(body: unknown): PreparedPart[] {
  if (!isPlainObject(body)) throw invalid('a multipart/form-data body is an object {fields, files}');
  const unknown = Object.keys(body).filter((k) => k !== 'fields' && k !== 'files');
  if (unknown.length > 0) throw invalid(`a multipart/form-data body has only "fields" and "files" (found ${unknown.map((k) => JSON.stringify(k)).join(', ')})`);
  const parts: PreparedPart[] = [];
  const fields = body['fields'] ?? {};
  if (!isPlainObject(fields)) throw invalid('"fields" is an object of field name to value');
  for (const [name, value] of Object.entries(fields)) fieldParts(name, value, undefined, parts);
  const files = body['files'] ?? [];
  if (!Array.isArray(files)) throw invalid('"files" is a list of {name, filename, content_type, base64 | url}');
  files.forEach((file: unknown, i) => {
    if (!isPlainObject(file) || typeof file['name'] !== 'string' || file['name'] === '') throw invalid(`files[${i}] needs a "name" (the form field it is sent as)`);
    const extra = Object.keys(file).filter((k) => !PART_KEYS.has(k));
    if (extra.length > 0) throw invalid(`files[${i}] has unknown keys ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: name, filename, content_type, base64, url)`);
    const { name, ...value } = file;
    parts.push({ name, value, file: true });
  });
  return parts;
}

/**
 * The content of an HTTP call's `body`, when it is not JSON or text: `multipart/form-data` when
 * the task's Content-Type says so (body `{fields, files}`), and a binary body for a file value
 * `{base64 | url, content_type?, filename?}` whose content type (its own, else the task's) is
 * not JSON. Anything else is sent as today (JSON, or a string as is).
 */
export function httpCallContent(body: unknown, contentType: string | undefined): PreparedContent | undefined {
  // A string is a form the task encoded itself (its own boundary): sent as is, as before.
  if (mediaTypeOf(contentType).essence === 'multipart/form-data' && typeof body !== 'string') return { kind: 'multipart', parts: explicitParts(body) };
  if (!isFileValue(body)) return undefined;
  const declared = typeof body['content_type'] === 'string' ? body['content_type'] : contentType;
  if (declared === undefined || contentClass(declared) === 'json') return undefined;
  return { kind: 'binary', contentType: contentType ?? declared, value: body };
}

// ---- base64 ---------------------------------------------------------------------------

const DECODE = new Int16Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (DECODE[c.charCodeAt(0)] = i));
DECODE['-'.charCodeAt(0)] = 62;
DECODE['_'.charCodeAt(0)] = 63;

/** Standard or URL-safe base64, padded or not, line breaks allowed; undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let bits = 0;
  let value = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) continue;
    if (code === 0x3d) {
      padding++;
      continue;
    }
    const digit = code < 128 ? (DECODE[code] ?? -1) : -1;
    if (digit < 0 || padding > 0) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (value >> bits) & 0xff;
    }
    value &= 0xff;
  }
  // A lone leftover character carries no whole byte; padding never exceeds two.
  if (bits === 6 || padding > 2) return undefined;
  return out.subarray(0, length);
}
