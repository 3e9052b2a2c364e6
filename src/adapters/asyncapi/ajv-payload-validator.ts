import Ajv, { ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { errors } from '../../domain/workflow-error';
import { PayloadValidator, SchemaViolation } from '../../application/ports/message-brokers.port';

/** A search a pattern engine refused as too costly for the text (instructions × characters over its bound). */
function isCostlyPatternSearch(error: unknown): error is Error {
  return error instanceof Error && error.name === 'PatternSearchTooCostly';
}

/**
 * Most subschemas (objects, shared ones counted each time they are used) in one message schema.
 * Compiling runs on the event loop and costs in proportion (docs/call-asyncapi.md gives the figure),
 * and a document may share one schema many times over, or refer to itself: beyond this the schema
 * is refused.
 */
export const MAX_SCHEMA_NODES = 1000;

/** The subschemas `schema` expands to, counting up to just past `limit` (a cycle expands for ever). */
function expandedNodes(schema: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [schema];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (!Array.isArray(value)) count++;
    for (const item of Array.isArray(value) ? value : Object.values(value)) if (item !== null && typeof item === 'object') stack.push(item);
  }
  return count;
}

/**
 * JSON schema validation with ajv (draft 7, what AsyncAPI schemas are). Not strict: documents carry
 * keywords of their own (`discriminator`, `x-…`). Compiled validators are kept per schema object,
 * which lives as long as its cached document.
 *
 * Validation runs on the event loop, so the document's `pattern`s (and `patternProperties`) run on
 * the `regExp` engine given (RE2 in the service: linear time, bounded search cost), never on
 * JavaScript's backtracking engine: `^(a+)+$` over `aaaa…!` is as quick as any other check.
 */
export class AjvPayloadValidator implements PayloadValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor(regExp: RegExpEngine) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, code: { regExp } });
    addFormats(this.ajv);
  }

  validate(schema: Readonly<Record<string, unknown>>, value: unknown): SchemaViolation[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      if (expandedNodes(schema, MAX_SCHEMA_NODES) > MAX_SCHEMA_NODES) {
        throw errors.configuration(`asyncapi call failed: the document's message schema is too large to check: more than ${MAX_SCHEMA_NODES} subschemas (shared ones counted each time they are used)`);
      }
      try {
        validate = this.ajv.compile(schema);
      } catch (error) {
        throw errors.configuration(`asyncapi call failed: the document's message schema cannot be used: ${(error as Error).message}`);
      }
      this.compiled.set(schema, validate);
    }
    let valid: boolean;
    try {
      valid = validate(value);
    } catch (error) {
      if (isCostlyPatternSearch(error)) throw errors.validation(`asyncapi call failed: the message cannot be checked against its schema: ${error.message}`, 'MESSAGE_INVALID');
      throw error;
    }
    if (valid) return [];
    // ajv's messages name the rule and what it wants, never the offending value.
    return (validate.errors ?? []).map((e) => ({ pointer: e.instancePath, rule: e.keyword, message: e.message ?? 'does not match' }));
  }
}
