import Ajv, { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import { ValidationIssue } from '../../application/ports/openapi-document-source.port';
import { JsonObject } from '../../domain/json';
import { WorkflowError } from '../../domain/workflow-error';
import { SchemaDialect, SchemaDirection, toJsonSchema } from './schema-conversion';

/** Most issues reported for one check: the first ones say what to fix; thousands would only be noise. */
export const MAX_ISSUES = 20;

/**
 * `pattern` keywords run on RE2 (re2js: linear time, as Go's regexp) rather than on the
 * backtracking engine of JavaScript, so that a document's `^(a+)+$` cannot hold the document worker
 * on crafted data. A pattern RE2 cannot compile (lookaround, backreferences) is not enforced.
 */
const re2Engine: RegExpEngine = Object.assign(
  (pattern: string, flags: string): { test: (s: string) => boolean; toString: () => string } => {
    // Ajv shares compiled patterns by `toString()`: without a key of its own, every pattern of a
    // validator would be checked as the first one compiled.
    const key = `/${pattern}/${flags}`;
    try {
      const compiled = RE2JS.compile(pattern);
      return { test: (s: string) => compiled.test(s), toString: () => key };
    } catch {
      return { test: () => true, toString: () => key };
    }
  },
  // Only read by Ajv's standalone code generation, which is never used here.
  { code: 'require("re2js").RE2JS.compile' },
);

/** OpenAPI's own formats beside JSON Schema's (ajv-formats). */
function addOpenApiFormats(ajv: Ajv): void {
  const int = (bits: number) => (n: number) => Number.isInteger(n) && n >= -(2 ** (bits - 1)) && n <= 2 ** (bits - 1) - 1;
  ajv.addFormat('int32', { type: 'number', validate: int(32) });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', { type: 'string', validate: (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 });
  for (const name of ['binary', 'password']) ajv.addFormat(name, true);
}

function newAjv(dialect: SchemaDialect, coerceTypes: boolean): Ajv {
  const options: Options = {
    strict: false,
    allErrors: true,
    logger: false,
    validateSchema: false,
    coerceTypes,
    code: { regExp: re2Engine },
  };
  const ajv = dialect === 'openapi-3.1' ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  addOpenApiFormats(ajv);
  return ajv;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * One Ajv error as an issue: where (a JSON pointer under `prefix`), which rule, and the rule's own
 * words. Ajv's messages are made of the schema (limits, types, formats, patterns), never of the data;
 * the data itself is never read here. A missing or unexpected property is named in the pointer.
 */
export function issueOf(error: ErrorObject, prefix: string): ValidationIssue {
  let pointer = prefix + error.instancePath;
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    pointer += `/${escapePointer(params['missingProperty'])}`;
    message = 'is required';
  } else if ((error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') && typeof params[`${error.keyword === 'additionalProperties' ? 'additional' : 'unevaluated'}Property`] === 'string') {
    pointer += `/${escapePointer(params[`${error.keyword === 'additionalProperties' ? 'additional' : 'unevaluated'}Property`] as string)}`;
    message = 'is not allowed';
  }
  return { pointer, rule: error.keyword, message };
}

/**
 * Compiles and runs the schemas of one document. Two Ajv instances, made on first use: one that
 * takes parameters as the text they travel as (`"10"` is an integer), one for bodies, strict.
 * Each schema is compiled once, when first used, and kept with the document: compiling every
 * operation of a large document up front would take seconds no call may ever need.
 */
export class SchemaValidator {
  private readonly compiled = new Map<string, ValidateFunction>();
  private parametersAjv: Ajv | undefined;
  private bodiesAjv: Ajv | undefined;

  constructor(readonly dialect: SchemaDialect) {}

  /** Compiled schemas kept (tests). */
  get size(): number {
    return this.compiled.size;
  }

  /**
   * Checks `data` against the schema built by `schema` (called only the first time `key` is seen);
   * issues name places under `prefix`. Throws a `configuration` WorkflowError when the schema
   * cannot be compiled (`what` names it).
   */
  check(key: string, what: string, direction: SchemaDirection, coerce: boolean, schema: () => JsonObject, data: unknown, prefix: string): ValidationIssue[] {
    const validate = this.validatorFor(`${coerce ? 'p' : 'b'}${key}`, what, direction, coerce, schema);
    if (validate(data)) return [];
    return (validate.errors ?? []).slice(0, MAX_ISSUES).map((e) => issueOf(e, prefix));
  }

  private validatorFor(key: string, what: string, direction: SchemaDirection, coerce: boolean, schema: () => JsonObject): ValidateFunction {
    const known = this.compiled.get(key);
    if (known) return known;
    const ajv = coerce ? (this.parametersAjv ??= newAjv(this.dialect, true)) : (this.bodiesAjv ??= newAjv(this.dialect, false));
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(toJsonSchema(schema(), this.dialect, direction));
    } catch (error) {
      throw new WorkflowError({
        kind: 'configuration',
        code: 'INVALID_CONFIGURATION',
        title: 'Invalid OpenAPI Document',
        detail: `the schema of ${what} cannot be compiled: ${(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''}`,
      });
    }
    this.compiled.set(key, validate);
    return validate;
  }
}
