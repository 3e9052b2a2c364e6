import { CheckedResponse, ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { isPlainObject, JsonObject } from '../../domain/json';
import { SchemaValidator } from './schema-validator';

/** What the checks need of one operation of a dereferenced document. */
export interface CheckedOperation {
  id: string;
  operation: JsonObject;
  /** Path-item and operation parameters merged, with their schemas. */
  parameters: { name: string; in: string; required: boolean; schema: JsonObject | undefined }[];
}

const JSON_MEDIA = /^application\/(.+\+)?json\b|^\*\/\*$/i;
const FORM_MEDIA = /^application\/x-www-form-urlencoded\b/i;

function obj(value: unknown): JsonObject {
  return isPlainObject(value) ? value : {};
}

/** A parameter's schema: `schema`, else that of its first `content` media type. */
export function parameterSchema(parameter: JsonObject): JsonObject | undefined {
  if (isPlainObject(parameter['schema'])) return parameter['schema'];
  const first = Object.values(obj(parameter['content']))[0];
  return isPlainObject(first) && isPlainObject(first['schema']) ? first['schema'] : undefined;
}

/** The description of each declared response, by status key. */
export function responseDescriptions(operation: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [status, response] of Object.entries(obj(operation['responses']))) {
    const description = obj(response)['description'];
    if (typeof description === 'string' && description.trim() !== '') out[status] = description.trim();
  }
  return out;
}

/** The response key that answers for `status`: the exact code, its range (`4XX`), or `default`. */
export function responseKey(keys: readonly string[], status: number): string | undefined {
  const exact = String(status);
  const range = `${Math.floor(status / 100)}XX`;
  return keys.find((k) => k === exact) ?? keys.find((k) => k.toUpperCase() === range) ?? keys.find((k) => k === 'default');
}

/**
 * Caller parameters against the operation: the parameters, placed by location (`/path/id`,
 * `/query/limit`; strings that read as the declared type pass, as they travel as text), then the
 * request body (`/body/…`, strict). Form bodies given as top-level fields are checked as prepare sends them.
 */
export function checkRequest(validator: SchemaValidator, op: CheckedOperation, parameters: JsonObject): ValidationIssue[] {
  const locations: Record<string, { properties: JsonObject; required: string[] }> = {};
  const data: Record<string, JsonObject> = {};
  for (const p of op.parameters) {
    const at = (locations[p.in] ??= { properties: {}, required: [] });
    at.properties[p.name] = p.schema ?? {};
    if (p.required) at.required.push(p.name);
    const value = parameters[p.name];
    // Coercion rewrites the data it checks: a copy, never the caller's value.
    if (value !== undefined && value !== null) (data[p.in] ??= {})[p.name] = structuredClone(value);
  }
  const issues: ValidationIssue[] = [];
  if (op.parameters.length > 0) {
    const schema = (): JsonObject => {
      const properties: JsonObject = {};
      for (const [where, at] of Object.entries(locations)) properties[where] = { type: 'object', properties: at.properties, required: at.required };
      return { type: 'object', properties };
    };
    for (const where of Object.keys(locations)) data[where] ??= {};
    issues.push(...validator.check(`${op.id}\u0000parameters`, `the parameters of operation '${op.id}'`, 'request', true, schema, data, ''));
  }
  const requestBody = obj(op.operation['requestBody']);
  const content = obj(requestBody['content']);
  const types = Object.keys(content);
  const media = types.find((t) => JSON_MEDIA.test(t)) ?? types.find((t) => FORM_MEDIA.test(t));
  const mediaSchema = media === undefined ? undefined : obj(content[media])['schema'];
  let body = parameters['body'];
  if ((body === undefined || body === null) && media !== undefined && FORM_MEDIA.test(media) && isPlainObject(mediaSchema)) {
    const fields: JsonObject = {};
    for (const name of Object.keys(obj(mediaSchema['properties']))) if (parameters[name] !== undefined && parameters[name] !== null) fields[name] = parameters[name];
    if (Object.keys(fields).length > 0) body = fields;
  }
  if (body === undefined || body === null) {
    if (requestBody['required'] === true) issues.push({ pointer: '/body', rule: 'required', message: 'is required' });
  } else if (isPlainObject(mediaSchema)) {
    issues.push(...validator.check(`${op.id}\u0000body\u0000${media}`, `the request body of operation '${op.id}'`, 'request', false, () => mediaSchema, body, '/body'));
  }
  return issues.slice(0, 20);
}

/** The declared media type that answers for a content type: exact, `type/*`, then `*\/*`. */
function mediaKey(types: readonly string[], contentType: string): string | undefined {
  const wanted = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const bare = types.map((t) => ({ t, bare: (t.split(';')[0] ?? '').trim().toLowerCase() }));
  const range = `${wanted.split('/')[0] ?? ''}/*`;
  return (bare.find((m) => m.bare === wanted) ?? bare.find((m) => m.bare === range) ?? bare.find((m) => m.bare === '*/*'))?.t;
}

/**
 * A response against the operation: its status must be declared (exactly, by range or `default`,
 * when the operation lists any), its content type among the declared ones (when any are), and a
 * JSON body must fit the media type's schema (`/body/…`). Bodies of other media types are not checked.
 */
export function checkResponse(validator: SchemaValidator, op: CheckedOperation, response: CheckedResponse): ValidationIssue[] {
  const responses = obj(op.operation['responses']);
  const keys = Object.keys(responses);
  if (keys.length === 0) return [];
  const key = responseKey(keys, response.status);
  if (key === undefined) return [{ pointer: '/status', rule: 'status', message: `status ${response.status} is not declared by the operation` }];
  const content = obj(obj(responses[key])['content']);
  const types = Object.keys(content);
  if (types.length === 0) return [];
  const media = mediaKey(types, response.contentType);
  if (media === undefined) {
    return [{ pointer: '/header/Content-Type', rule: 'content-type', message: `must be one of ${types.join(', ')} for status ${key}` }];
  }
  const schema = obj(content[media])['schema'];
  if (!isPlainObject(schema) || !JSON_MEDIA.test(media === '*/*' ? response.contentType : media)) return [];
  return validator.check(`${op.id}\u0000response\u0000${key}\u0000${media}`, `response ${key} of operation '${op.id}'`, 'response', false, () => schema, response.body, '/body');
}
