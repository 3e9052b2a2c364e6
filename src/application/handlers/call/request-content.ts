import { isPlainObject, JsonObject } from '../../../domain/json';
import { redactUrl } from '../../../domain/redaction';
import { errors, toWorkflowError, WorkflowError } from '../../../domain/workflow-error';
import { HttpClient, HttpBodyChunks, HttpRequest, HttpResponse } from '../../ports/http-client.port';
import { PreparedContent, PreparedPart } from '../../ports/openapi-document-source.port';
import { USER_AGENT } from './http-message';
import { contentClass, mediaTypeOf } from './response-content';

/**
 * Request bodies made of files and bytes (docs/call-content.md): `multipart/form-data` with fields
 * and files, and binary bodies. Files come as base64 in the task or are fetched from a URL while
 * the request is sent; either way the whole body stays within one size limit.
 */

const FILE_KEYS: ReadonlySet<string> = new Set(['base64', 'url', 'filename', 'content_type']);
const PART_KEYS: ReadonlySet<string> = new Set(['name', ...FILE_KEYS]);
const CRLF = '\r\n';
/** Files fetched by URL per request: each holds a connection open until its bytes are sent. */
export const MAX_FETCHED_FILES = 32;

function invalid(detail: string): WorkflowError {
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

// ---- encoding -------------------------------------------------------------------------

export interface ContentEnvironment {
  http: HttpClient;
  /** CALL_MAX_REQUEST_BYTES. */
  maxBytes: number;
  /** Time left for the call, in ms (file fetches count against it). */
  timeoutMs: () => number;
  signal?: AbortSignal;
  /** False when the workflow retries the call itself (no transport retries for file fetches either). */
  transportRetries: boolean;
  /** Told every file URL before anything is fetched (token-like query values join the task's secrets). */
  fetching?: (url: string) => void;
  /**
   * Sends a file's GET: the call handler passes it through the rate limits and the audit log like
   * any other outbound call of the task. Default: straight to `http`.
   */
  fetch?: (request: HttpRequest) => Promise<HttpResponse>;
  /** The multipart boundary (tests); default 32 random hex digits. */
  boundary?: () => string;
}

export interface EncodedContent {
  /** Bytes when every part was given inline; a stream when files are fetched while it is sent. */
  body: Uint8Array | AsyncIterable<Uint8Array>;
  contentType: string;
  /** The body's length when it is known before sending (sent as Content-Length). */
  length: number | undefined;
  /** What the output's request echo shows: the parts without their bytes. */
  summary: JsonObject;
  /** Frees the connections of fetched files; call once the request is over. Idempotent. */
  release(): void;
}

/** One file or field, its bytes known (inline) or coming from an opened fetch. */
interface Source {
  label: string;
  bytes?: Uint8Array;
  url?: string;
  chunks?: HttpBodyChunks;
  /** Bytes the fetched file declared, if it did. */
  declared?: number;
  /** The Content-Type the file's server gave. */
  servedType?: string;
}

interface Piece {
  head?: Uint8Array;
  source: Source;
}

function randomBoundary(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `flunq-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** `"` and line breaks escaped as the HTML form encoding does, so a name cannot end its header. */
function quoted(text: string): string {
  return `"${text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

function headerSafe(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw invalid(`${what} contains a line break`);
  return value;
}

function fileName(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').filter((s) => s !== '').at(-1);
    return last === undefined ? undefined : decodeURIComponent(last);
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

/** A file value (or text given for a file) as a source, with its filename and content type. */
function fileSource(value: unknown, label: string): { source: Source; filename: string | undefined; contentType: string | undefined } {
  if (typeof value === 'string') return { source: { label, bytes: encoder.encode(value) }, filename: undefined, contentType: undefined };
  if (!isFileValue(value)) throw invalid(`${label} is a file: {base64 | url, filename?, content_type?}, one of base64 or url`);
  const filename = value['filename'];
  const contentType = value['content_type'];
  if (filename !== undefined && typeof filename !== 'string') throw invalid(`${label}: "filename" is a string`);
  if (contentType !== undefined && typeof contentType !== 'string') throw invalid(`${label}: "content_type" is a string`);
  if (typeof value['url'] === 'string') {
    const url = value['url'];
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(`${label}: "url" is not an absolute URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(`${label}: "url" must be http(s), not ${parsed.protocol}`);
    return { source: { label, url }, filename: filename ?? fileName(url), contentType };
  }
  const bytes = decodeBase64(value['base64'] as string);
  if (!bytes) throw invalid(`${label}: "base64" is not valid base64`);
  return { source: { label, bytes }, filename, contentType };
}

function fieldText(value: unknown): { text: string; json: boolean } {
  if (typeof value === 'string') return { text: value, json: false };
  if (typeof value === 'number' || typeof value === 'boolean') return { text: String(value), json: false };
  return { text: JSON.stringify(value), json: true };
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** A failed file fetch, named by its part and (redacted) URL; a file over the limit is REQUEST_TOO_LARGE. */
function fileFailure(source: Source, thrown: unknown, maxBytes: number): WorkflowError {
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

/**
 * The checks `encodeContent` makes before it fetches anything: the shape of every file value
 * (one of base64 or url, an http(s) URL, valid base64, text for filename and content type), and the
 * number of files to fetch. Nothing is fetched. `skip` leaves out values known only at run time.
 * Throws the same `configuration` errors a run gives.
 */
export function checkContent(content: PreparedContent, skip: (value: unknown) => boolean = () => false): void {
  const files = content.kind === 'binary' ? [{ value: content.value, label: 'the request body' }] : content.parts.filter((p) => p.file).map((p) => ({ value: p.value, label: `file part "${p.name}"` }));
  const checked = files.filter((f) => !skip(f.value));
  const urls = checked.filter((f) => isPlainObject(f.value) && typeof f.value['url'] === 'string').length;
  if (urls > MAX_FETCHED_FILES) throw invalid(`${urls} files to fetch by URL; at most ${MAX_FETCHED_FILES} per request`);
  for (const { value, label } of checked) {
    const { contentType } = fileSource(value, label);
    if (contentType !== undefined) headerSafe(contentType, `the content type of ${label}`);
  }
}

/**
 * Encodes `content` for sending. Inline parts are checked against the limit before anything is
 * fetched; files with a URL are then opened one after another (the address policy, redirects and
 * the call's deadline apply; any status but 2xx fails with FILE_FETCH_FAILED), and their bytes are
 * read only while the request is sent, counted against the limit as they pass.
 */
export async function encodeContent(content: PreparedContent, env: ContentEnvironment): Promise<EncodedContent> {
  // Every file URL first: their token-like query values are redacted even when a later part is refused.
  let urls = 0;
  for (const value of content.kind === 'binary' ? [content.value] : content.parts.map((p) => p.value)) {
    if (isPlainObject(value) && typeof value['url'] === 'string') {
      env.fetching?.(value['url']);
      urls++;
    }
  }
  if (urls > MAX_FETCHED_FILES) throw invalid(`${urls} files to fetch by URL; at most ${MAX_FETCHED_FILES} per request`);
  const pieces: Piece[] = [];
  const parts: JsonObject[] = [];
  let contentType: string;
  let closing: Uint8Array | undefined;
  const heads: (() => Uint8Array)[] = [];
  if (content.kind === 'binary') {
    const { source, contentType: own } = fileSource(content.value, 'the request body');
    contentType = headerSafe(own ?? content.contentType, 'the content type');
    pieces.push({ source });
    parts.push(describe(source, undefined, contentType));
  } else {
    const boundary = (env.boundary ?? randomBoundary)();
    contentType = `multipart/form-data; boundary=${boundary}`;
    for (const [i, part] of content.parts.entries()) {
      const label = `part "${part.name}"`;
      if (part.file) {
        const file = fileSource(part.value, `file ${label}`);
        const piece: Piece = { source: file.source };
        pieces.push(piece);
        const filename = file.filename ?? part.name;
        // The served Content-Type of a fetched file is known only once it is opened.
        heads[i] = () => {
          const type = headerSafe(file.contentType ?? part.contentType ?? file.source.servedType ?? 'application/octet-stream', `the content type of ${label}`);
          parts[i] = describe(file.source, part.name, type, filename);
          return encoder.encode(`--${boundary}${CRLF}Content-Disposition: form-data; name=${quoted(part.name)}; filename=${quoted(filename)}${CRLF}Content-Type: ${type}${CRLF}${CRLF}`);
        };
      } else {
        const { text, json } = fieldText(part.value);
        const type = part.contentType ?? (json ? 'application/json' : undefined);
        pieces.push({ source: { label: `field ${label}`, bytes: encoder.encode(text) } });
        parts[i] = { name: part.name, ...(type === undefined ? {} : { content_type: type }) };
        heads[i] = () => encoder.encode(`--${boundary}${CRLF}Content-Disposition: form-data; name=${quoted(part.name)}${CRLF}${type === undefined ? '' : `Content-Type: ${headerSafe(type, `the content type of ${label}`)}${CRLF}`}${CRLF}`);
      }
    }
    closing = encoder.encode(`--${boundary}--${CRLF}`);
  }
  const inline = pieces.reduce((n, p) => n + (p.source.bytes?.byteLength ?? 0), 0);
  if (inline > env.maxBytes) throw requestTooLarge(env.maxBytes, 'the inline content');

  const opened: Source[] = [];
  const release = (): void => {
    for (const source of opened) source.chunks?.cancel();
  };
  try {
    for (const { source } of pieces) {
      if (source.url === undefined) continue;
      await open(source, env, env.maxBytes - inline);
      opened.push(source);
    }
    pieces.forEach((piece, i) => {
      const head = heads[i];
      if (head) piece.head = head();
    });
    const chunks: Uint8Array[] = [];
    for (const piece of pieces) {
      if (piece.head) chunks.push(piece.head);
      if (piece.source.bytes) chunks.push(piece.source.bytes);
      if (closing) chunks.push(encoder.encode(CRLF));
    }
    if (closing) chunks.push(closing);
    const fixed = chunks.reduce((n, c) => n + c.byteLength, 0);
    const declared = opened.reduce<number | undefined>((n, s) => (n === undefined || s.declared === undefined ? undefined : n + s.declared), 0);
    if (fixed > env.maxBytes || (declared !== undefined && fixed + declared > env.maxBytes)) throw requestTooLarge(env.maxBytes, opened.length > 0 ? 'the files with their declared sizes' : 'the content');
    const summary: JsonObject = content.kind === 'binary' ? { content_type: contentType, ...parts[0] } : { content_type: 'multipart/form-data', parts };
    if (opened.length === 0) return { body: concat(chunks, fixed), contentType, length: fixed, summary, release };
    return { body: streamed(pieces, closing, env.maxBytes), contentType, length: declared === undefined ? undefined : fixed + declared, summary, release };
  } catch (error) {
    release();
    throw error;
  }
}

function describe(source: Source, name: string | undefined, contentType: string, filename?: string): JsonObject {
  const out: JsonObject = {};
  if (name !== undefined) out['name'] = name;
  if (filename !== undefined) out['filename'] = filename;
  out['content_type'] = contentType;
  if (source.url !== undefined) out['url'] = redactUrl(source.url);
  else out['bytes'] = source.bytes?.byteLength ?? 0;
  return out;
}

/** Opens a file's fetch: headers read, body left to stream. */
async function open(source: Source, env: ContentEnvironment, maxBytes: number): Promise<void> {
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

/** The body, fetched files read as it is sent; the limit and each file's declared size checked as bytes pass. */
async function* streamed(pieces: readonly Piece[], closing: Uint8Array | undefined, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const count = (n: number, source: Source): void => {
    total += n;
    if (total > maxBytes) throw requestTooLarge(maxBytes, `${source.label}${source.url === undefined ? '' : ` (${redactUrl(source.url)})`}`);
  };
  for (const piece of pieces) {
    const { source } = piece;
    if (piece.head) {
      count(piece.head.byteLength, source);
      yield piece.head;
    }
    if (source.bytes) {
      count(source.bytes.byteLength, source);
      yield source.bytes;
    } else if (source.chunks) {
      let size = 0;
      try {
        for await (const chunk of source.chunks) {
          size += chunk.byteLength;
          count(chunk.byteLength, source);
          yield chunk;
        }
      } catch (error) {
        throw fileFailure(source, error, maxBytes);
      }
      if (source.declared !== undefined && size !== source.declared) throw fileFailure(source, new WorkflowError({ kind: 'communication', code: 'FILE_FETCH_FAILED', title: 'File Not Fetched', detail: `${source.label}: ${redactUrl(source.url ?? '')} ended after ${size} of its ${source.declared} bytes`, status: 502, retryable: true }), maxBytes);
    }
    if (closing) {
      count(2, source);
      yield encoder.encode(CRLF);
    }
  }
  if (closing) yield closing;
}
