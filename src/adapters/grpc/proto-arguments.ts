import { Enum, Field, MapField, Type } from 'protobufjs';
import { errors, WorkflowError } from '../../domain/workflow-error';

/** Deepest nesting of messages walked: a deeper argument is refused rather than walked on the stack. */
const MAX_DEPTH = 64;

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A value quoted for an error message, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listed(names: string[]): string {
  return names.length > 10 ? `${names.slice(0, 10).join(', ')}, ...` : names.join(', ');
}

/** The whole number `value` (a number or its decimal digits as a string), or undefined. */
function wholeNumber(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^-?[0-9]{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

class Walk {
  constructor(private readonly what: string) {}

  private refuse(at: string, why: string): WorkflowError {
    return errors.configuration(`${this.what}: with.arguments${at} ${why}`, { field: `with.arguments${at}` });
  }

  message(type: Type, value: unknown, at: string, depth: number): void {
    if (!isObject(value)) throw this.refuse(at, `must be an object (message ${type.fullName.replace(/^\./, '')}), got ${shown(value)}`);
    if (depth > MAX_DEPTH) throw this.refuse(at, `nests messages deeper than ${MAX_DEPTH} levels`);
    if (type.fullName === '.google.protobuf.Any' && typeof value['@type'] === 'string') return this.any(type, value, at, depth);
    const oneofSet = new Map<string, string>();
    for (const [key, item] of Object.entries(value)) {
      const path = `${at}.${key}`;
      const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
      if (!field) {
        // The name of the member a oneof holds, as answers carry it: accepted when it names one of its members.
        const oneof = Object.hasOwn(type.oneofs ?? {}, key) ? type.oneofs[key] : undefined;
        if (oneof) {
          if (typeof item === 'string' && oneof.oneof.includes(item)) continue;
          throw this.refuse(path, `must name one member of oneof ${key} (${oneof.oneof.join(', ')}), got ${shown(item)}`);
        }
        throw this.refuse(path, `is not a field of ${type.fullName.replace(/^\./, '')} (fields: ${listed(Object.keys(type.fields)) || 'none'})`);
      }
      if (item === null || item === undefined) continue;
      const within = field.partOf;
      if (within) {
        const other = oneofSet.get(within.name);
        if (other !== undefined) throw this.refuse(path, `and with.arguments${at}.${other} are both members of oneof ${within.name}: set only one`);
        oneofSet.set(within.name, key);
      }
      this.field(field, item, path, depth);
    }
  }

  private any(type: Type, value: Record<string, unknown>, at: string, depth: number): void {
    const name = String(value['@type']);
    const found = type.root.lookup(name.slice(name.lastIndexOf('/') + 1));
    if (!(found instanceof Type)) throw this.refuse(`${at}.@type`, `names no message type of the document: ${shown(name)}`);
    const rest = Object.fromEntries(Object.entries(value).filter(([k]) => k !== '@type'));
    this.message(found, rest, at, depth + 1);
  }

  private field(field: Field, value: unknown, at: string, depth: number): void {
    field.resolve();
    if (field instanceof MapField) {
      if (!isObject(value)) throw this.refuse(at, `must be an object (map<${field.keyType}, ${field.type}>), got ${shown(value)}`);
      for (const [key, item] of Object.entries(value)) {
        const path = `${at}[${JSON.stringify(key)}]`;
        this.mapKey(field.keyType, key, path);
        this.single(field, item, path, depth);
      }
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) throw this.refuse(at, `must be an array (repeated ${field.type}), got ${shown(value)}`);
      value.forEach((item, index) => this.single(field, item, `${at}[${index}]`, depth));
      return;
    }
    this.single(field, value, at, depth);
  }

  private mapKey(keyType: string, key: string, at: string): void {
    if (keyType === 'bool' && key !== 'true' && key !== 'false') throw this.refuse(at, 'has a key that is not true or false (map<bool, ...>)');
    const range = INT_RANGES[keyType];
    if (range) this.integer(keyType, range, key, at);
  }

  private single(field: Field, value: unknown, at: string, depth: number): void {
    if (value === null || value === undefined) throw this.refuse(at, `must be a ${field.type}, got ${shown(value ?? null)}`);
    const resolved = field.resolvedType;
    if (resolved instanceof Type) return this.message(resolved, value, at, depth + 1);
    if (resolved instanceof Enum) return this.enumValue(resolved, value, at);
    const range = INT_RANGES[field.type];
    if (range) return this.integer(field.type, range, value, at);
    switch (field.type) {
      case 'double':
      case 'float':
        if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) || value === 'NaN') return;
        throw this.refuse(at, `must be a number (${field.type}), got ${shown(value)}`);
      case 'bool':
        if (typeof value === 'boolean') return;
        throw this.refuse(at, `must be true or false (bool), got ${shown(value)}`);
      case 'string':
        if (typeof value === 'string') return;
        throw this.refuse(at, `must be a string, got ${shown(value)}`);
      case 'bytes':
        if (typeof value === 'string' && BASE64.test(value)) return;
        throw this.refuse(at, `must be base64 text (bytes), got ${shown(value)}`);
      default:
        throw this.refuse(at, `has a type this executor cannot check: ${field.type}`);
    }
  }

  private integer(type: string, [low, high]: [bigint, bigint], value: unknown, at: string): void {
    const number = wholeNumber(value);
    if (number === undefined) throw this.refuse(at, `must be a whole number (${type}; 64-bit values may be decimal digits in a string), got ${shown(value)}`);
    if (number < low || number > high) throw this.refuse(at, `is out of range for ${type} (${low} to ${high}), got ${shown(value)}`);
  }

  private enumValue(type: Enum, value: unknown, at: string): void {
    const name = type.fullName.replace(/^\./, '');
    if (typeof value === 'string') {
      if (Object.hasOwn(type.values, value)) return;
      throw this.refuse(at, `is not a value of enum ${name}: ${shown(value)} (values: ${listed(Object.keys(type.values))})`);
    }
    const number = wholeNumber(value);
    if (typeof value === 'number' && number !== undefined && number >= INT_RANGES['int32']![0] && number <= INT_RANGES['int32']![1]) return;
    throw this.refuse(at, `must be a name of enum ${name} (values: ${listed(Object.keys(type.values))}) or its number, got ${shown(value)}`);
  }
}

/**
 * Checks `with.arguments` against the request message before anything is sent: protobufjs' own
 * conversion is lenient (an unknown field is dropped, `"abc"` becomes 0, an unknown enum name its
 * default), so a misspelt argument would reach the service as an empty value. Refuses, with a
 * `configuration` WorkflowError naming the field's path, unknown fields, unknown enum names and
 * values that do not fit their field (numbers and numeric strings for integers, 64-bit ones as
 * strings too; booleans; base64 text for bytes; arrays for repeated fields; objects for maps and
 * messages; one member per oneof).
 */
export function checkArguments(type: Type, value: unknown, what: string): void {
  new Walk(what).message(type, value, '', 0);
}
