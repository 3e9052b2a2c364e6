import { isPlainObject, JsonObject } from '../../../domain/json';
import { redactUrl } from '../../../domain/redaction';
import { WorkflowError } from '../../../domain/workflow-error';
import { PreparedContent } from '../../ports/openapi-document-source.port';
import { FileFetchEnvironment, fileFailure, openFile, Source } from './file-fetch';
import { decodeBase64, invalid, isFileValue, requestTooLarge } from './request-content';

/**
 * Encoding a request body of files and bytes (docs/call-content.md): a binary body, or
 * `multipart/form-data` with its fields and files, within one size limit.
 */

const CRLF = '\r\n';
/** Files fetched by URL per request: each holds a connection open until its bytes are sent. */
export const MAX_FETCHED_FILES = 32;

export interface ContentEnvironment extends FileFetchEnvironment {
  /** Told every file URL before anything is fetched (token-like query values join the task's secrets). */
  fetching?: (url: string) => void;
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
      await openFile(source, env, env.maxBytes - inline);
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
