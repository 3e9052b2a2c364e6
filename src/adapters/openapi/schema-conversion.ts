import { isPlainObject, JsonObject } from '../../domain/json';

/** Which JSON Schema an OpenAPI document's schemas are written in. */
export type SchemaDialect = 'openapi-3.0' | 'openapi-3.1';

/** Which side of the exchange a schema checks: `readOnly` properties are not required in requests, `writeOnly` ones not in responses. */
export type SchemaDirection = 'request' | 'response';

/** Keywords whose value is one schema. */
const ONE_SCHEMA = ['additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems', 'items'];
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];
/**
 * Keywords dropped: identifiers would clash once a schema shared by two places is inlined, and
 * references left in a dereferenced document point outside it (they are not checked).
 */
const DROPPED = new Set(['$id', '$schema', '$anchor', '$dynamicAnchor', '$dynamicRef', '$recursiveAnchor', '$recursiveRef', '$comment', '$ref', 'discriminator', 'xml', 'externalDocs', 'example', 'examples']);

type Node = JsonObject;

/** The schemas below a schema object (walked by keyword, never into `enum`, `const` or `default` values). */
function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of ONE_SCHEMA) {
    const value = node[key];
    if (isPlainObject(value)) out.push(value);
    else if (key === 'items' && Array.isArray(value)) for (const v of value) if (isPlainObject(v)) out.push(v);
  }
  for (const key of SCHEMA_LISTS) {
    const value = node[key];
    if (Array.isArray(value)) for (const v of value) if (isPlainObject(v)) out.push(v);
  }
  for (const key of SCHEMA_MAPS) {
    const value = node[key];
    if (isPlainObject(value)) for (const v of Object.values(value)) if (isPlainObject(v)) out.push(v);
  }
  return out;
}

/**
 * A dereferenced OpenAPI schema (a graph: shared schemas are one object, recursive ones point back
 * at themselves) turned into a JSON Schema tree Ajv can compile: every schema reached from more than
 * one place becomes a `$defs` entry referenced by `$ref`, so that recursion ends and shared schemas
 * are compiled once; OpenAPI 3.0's dialect (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`)
 * is rewritten into JSON Schema; properties the direction never carries are not required.
 * Walks each schema once: linear in the size of the graph.
 */
export function toJsonSchema(root: Node, dialect: SchemaDialect, direction: SchemaDirection): JsonObject {
  const seen = new Map<Node, number>();
  const stack: Node[] = [root];
  seen.set(root, 1);
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (const child of children(node)) {
      const count = seen.get(child) ?? 0;
      seen.set(child, count + 1);
      if (count === 0) stack.push(child);
    }
  }
  // Reached twice, or the root reached again from below it: a definition of its own.
  const names = new Map<Node, string>();
  for (const [node, count] of seen) if (count > 1) names.set(node, `s${names.size}`);
  const defsKey = dialect === 'openapi-3.1' ? '$defs' : 'definitions';
  const defs: JsonObject = {};
  const emitted = new Set<Node>();
  const pending: Node[] = [];

  const ref = (node: Node): JsonObject | undefined => {
    const name = names.get(node);
    if (name === undefined) return undefined;
    if (!emitted.has(node)) {
      emitted.add(node);
      pending.push(node);
    }
    return { $ref: `#/${defsKey}/${name}` };
  };
  const convert = (node: Node): JsonObject => convertNode(node, dialect, direction, (child) => ref(child) ?? convert(child));

  const top = ref(root) ?? convert(root);
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    defs[names.get(node) as string] = convert(node);
  }
  if (Object.keys(defs).length === 0) return top;
  // `$ref` beside other keywords is fine in both dialects Ajv compiles here (draft-07 and 2020-12 keep siblings).
  return { ...top, [defsKey]: defs };
}

function convertNode(node: Node, dialect: SchemaDialect, direction: SchemaDirection, sub: (child: Node) => JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (ONE_SCHEMA.includes(key) && isPlainObject(value)) out[key] = sub(value);
    else if ((key === 'items' || SCHEMA_LISTS.includes(key)) && Array.isArray(value)) out[key] = (value as unknown[]).map((v): unknown => (isPlainObject(v) ? sub(v) : v));
    else if (SCHEMA_MAPS.includes(key) && isPlainObject(value)) {
      const map: JsonObject = {};
      for (const [name, v] of Object.entries(value)) map[name] = isPlainObject(v) ? sub(v) : v;
      out[key] = map;
    } else out[key] = value;
  }
  rewriteNullable(node, out);
  if (dialect === 'openapi-3.0') rewriteExclusiveBounds(node, out);
  const required = out['required'];
  const properties = node['properties'];
  if (Array.isArray(required) && isPlainObject(properties)) {
    const skipped = direction === 'request' ? 'readOnly' : 'writeOnly';
    out['required'] = required.filter((name) => typeof name !== 'string' || !(isPlainObject(properties[name]) && properties[name][skipped] === true));
  }
  return out;
}

/**
 * OpenAPI 3.0's `nullable` as a JSON Schema type. Documents written for 3.1 still use it (ReadMe's
 * own API does), where it means the same: it is read in both dialects rather than refused by Ajv.
 */
function rewriteNullable(node: Node, out: JsonObject): void {
  delete out['nullable'];
  if (node['nullable'] === true) {
    const type = node['type'];
    if (typeof type === 'string') out['type'] = [type, 'null'];
    const values = node['enum'];
    if (Array.isArray(values) && !values.includes(null)) out['enum'] = [...(values as unknown[]), null];
  }
}

/** OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` (JSON Schema draft-04) as draft-07's numbers. */
function rewriteExclusiveBounds(node: Node, out: JsonObject): void {
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    const value = node[flag];
    if (typeof value !== 'boolean') continue;
    delete out[flag];
    if (value && typeof node[bound] === 'number') {
      out[flag] = node[bound];
      delete out[bound];
    }
  }
}
