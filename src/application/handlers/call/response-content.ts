import { HttpResponse } from '../../ports/http-client.port';
import { base64, parseBody } from './http-message';

/** A binary response body as a call's output gives it. */
export interface BinaryContent {
  base64: string;
  /** The response's `Content-Type` as sent; `application/octet-stream` when it sent none. */
  content_type: string;
}

/** How a body is turned into output, decided by its media type. */
export type ContentClass = 'json' | 'text' | 'binary' | 'unknown';

const TEXTUAL_APPLICATION_TYPES: ReadonlySet<string> = new Set([
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/graphql',
  'application/sql',
  'application/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-sh',
  'application/rtf',
]);

/** A `Content-Type` value split into its essence (lower case, no parameters) and its `charset`. */
export function mediaTypeOf(contentType: string | undefined): { essence: string; charset: string | undefined } {
  if (contentType === undefined) return { essence: '', charset: undefined };
  const [type = '', ...params] = contentType.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return { essence: type.trim().toLowerCase(), charset };
}

/**
 * JSON for `application/json` and any `+json` type; text for `text/*`, XML (`*\/xml`, `+xml`),
 * YAML, JavaScript, forms and any type that names a charset; `unknown` when the response has no
 * Content-Type; binary for everything else (images, PDFs, `application/octet-stream`, archives).
 */
export function contentClass(contentType: string | undefined): ContentClass {
  const { essence, charset } = mediaTypeOf(contentType);
  if (essence === '') return 'unknown';
  const slash = essence.indexOf('/');
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  if (subtype === 'json' || subtype.endsWith('+json') || subtype === 'x-json') return 'json';
  if (type === 'text' || subtype === 'xml' || subtype.endsWith('+xml') || subtype.endsWith('+yaml') || TEXTUAL_APPLICATION_TYPES.has(essence)) return 'text';
  if (charset !== undefined) return 'text';
  return 'binary';
}

/**
 * The body as text in the response's charset: UTF-8 unless the Content-Type names another one
 * that the runtime knows (ISO-8859-1/latin1, UTF-16 and the other encodings TextDecoder reads);
 * an unknown charset falls back to UTF-8. A byte-order mark is dropped.
 */
export function decodeText(bytes: Uint8Array, contentType: string | undefined): string {
  const { charset } = mediaTypeOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // An unknown label: read it as UTF-8 rather than fail the call.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function contentTypeOf(response: HttpResponse): string | undefined {
  return response.headers['content-type']?.[0];
}

/**
 * A response body as output (`data` of HTTP calls, `content` of OpenAPI calls), decided by its
 * Content-Type: `null` when empty; JSON parsed (the text when it does not parse); text returned as
 * a string in its charset (`text/plain` that is JSON parsed, as before); any other type
 * `{base64, content_type}`. Without a Content-Type: JSON
 * when it parses, else the text when it is UTF-8, else binary. A JSON body nested deeper than
 * `maxDepth` fails (RESPONSE_TOO_DEEP).
 */
export function decodeContent(response: HttpResponse, maxDepth?: number): unknown {
  const contentType = contentTypeOf(response);
  const kind = contentClass(contentType);
  const { body } = response;
  if (body.length === 0) return null;
  if (kind === 'json') return parseBody(decodeText(body, contentType), maxDepth);
  // text/plain is what many servers label anything with, JSON included: JSON there is parsed, as it always was.
  if (kind === 'text' && mediaTypeOf(contentType).essence === 'text/plain') return parseBody(decodeText(body, contentType), maxDepth);
  if (kind === 'text') return decodeText(body, contentType);
  if (kind === 'unknown' && isUtf8(body)) return parseBody(decodeText(body, contentType), maxDepth);
  return { base64: base64(body), content_type: contentType ?? 'application/octet-stream' } satisfies BinaryContent;
}
