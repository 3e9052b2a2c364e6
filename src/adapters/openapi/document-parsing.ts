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
