import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import OASNormalize from 'oas-normalize';
import { isPlainObject, JsonObject } from '../../domain/json';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';

const YAML_LINE = /^(openapi:|swagger:|---|info:|paths:|components:|servers:)/;

export function invalidDocument(detail: string): WorkflowError {
  return new WorkflowError({ kind: 'configuration', code: 'DOCUMENT_FAILED', title: 'Invalid OpenAPI Document', detail });
}

/** Go's format detection: content type, then the first character, then line shapes. */
export function looksLikeYaml(text: string, contentType: string): boolean {
  if (/ya?ml/i.test(contentType)) return true;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return false;
  const lines = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .slice(0, 10);
  return lines.some((l) => YAML_LINE.test(l) || (l.includes(':') && !l.includes('"') && !l.includes('{')));
}

export function parseDocumentText(text: string, contentType: string): JsonObject {
  let parsed: unknown;
  try {
    if (looksLikeYaml(text, contentType)) parsed = yaml.load(text);
    else {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = yaml.load(text);
      }
    }
  } catch (error) {
    throw invalidDocument(`document is neither JSON nor YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isPlainObject(parsed)) throw invalidDocument('document is not an object');
  return parsed;
}

/** Validates, converts Swagger 2.0 and dereferences local `$ref`s (external ones are never fetched). */
export async function normalizeDocument(raw: JsonObject): Promise<JsonObject> {
  const version = raw['openapi'] ?? raw['swagger'];
  if (version === undefined) throw invalidDocument('missing version field');
  if (!isPlainObject(raw['paths']) || Object.keys(raw['paths']).length === 0) throw invalidDocument('document contains no paths');
  const options = { enablePaths: false, parser: { resolve: { external: false } } };
  try {
    let document: JsonObject = raw;
    if (raw['swagger'] !== undefined && `${typeof version === 'string' || typeof version === 'number' ? version : ''}`.startsWith('2')) document = (await new OASNormalize(raw, options).convert()) as unknown as JsonObject;
    const dereferenced: unknown = await new OASNormalize(document, options).dereference();
    if (!isPlainObject(dereferenced)) throw new Error('dereferencing gave no document');
    return dereferenced;
  } catch (error) {
    if (isWorkflowError(error)) throw error;
    throw invalidDocument(`invalid OpenAPI document: ${(error as Error).message.split('\n')[0] ?? String(error)}`);
  }
}

/** SHA-256 of the fetched bytes, lower-case hex: what a task may pin and what completions report. */
export function contentHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The document's `info.version` as text (YAML may have made a number of it), when it has one. */
export function documentVersion(raw: JsonObject): string | undefined {
  const info = raw['info'];
  const version = isPlainObject(info) ? info['version'] : undefined;
  if (typeof version === 'string') return version;
  if (typeof version === 'number' && Number.isFinite(version)) return String(version);
  return undefined;
}

class TooLarge extends Error {}

/**
 * The form a document is kept in by the shared document cache: its parsed text as JSON (YAML
 * already parsed, nothing dereferenced, so never cyclic), gzip-compressed; undefined when the JSON
 * would be larger than `maxBytes` (YAML aliases can make it far larger than the fetched text).
 * Call before dereferencing, which changes the document in place.
 */
export function storedForm(raw: JsonObject, maxBytes: number): Uint8Array | undefined {
  // Every value adds at least one character, so counting values bounds the work before the text is built.
  let values = 0;
  let text: string;
  try {
    text = JSON.stringify(raw, (_key, value: unknown) => {
      if (++values > maxBytes) throw new TooLarge();
      return value;
    });
  } catch (error) {
    if (error instanceof TooLarge || error instanceof RangeError) return undefined;
    throw error;
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength > maxBytes) return undefined;
  return new Uint8Array(gzipSync(bytes));
}

/**
 * A document read back from the shared cache (see storedForm). The entry is untrusted: it is
 * decompressed to at most `maxBytes` and must parse as a JSON object, or it is an invalid document.
 */
export function parseStoredForm(body: Uint8Array, maxBytes: number): { document: JsonObject; bytes: number } {
  let text: string;
  try {
    text = gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (error) {
    throw invalidDocument(`the cached copy of the document is unreadable: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidDocument('the cached copy of the document is not JSON');
  }
  if (!isPlainObject(parsed)) throw invalidDocument('the cached copy of the document is not an object');
  return { document: parsed, bytes: text.length };
}
