import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { errors } from '../../domain/workflow-error';
import { PayloadValidator, SchemaViolation } from '../../application/ports/message-brokers.port';

/**
 * JSON schema validation with ajv (draft 7, what AsyncAPI schemas are). Not strict: documents carry
 * keywords of their own (`discriminator`, `x-…`). Compiled validators are kept per schema object,
 * which lives as long as its cached document.
 */
export class AjvPayloadValidator implements PayloadValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
  }

  validate(schema: Readonly<Record<string, unknown>>, value: unknown): SchemaViolation[] {
    let validate = this.compiled.get(schema);
    if (!validate) {
      try {
        validate = this.ajv.compile(schema);
      } catch (error) {
        throw errors.configuration(`the document's message schema cannot be used: ${(error as Error).message}`);
      }
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    // ajv's messages name the rule and what it wants, never the offending value.
    return (validate.errors ?? []).map((e) => ({ pointer: e.instancePath, rule: e.keyword, message: e.message ?? 'does not match' }));
  }
}
