export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The value as a plain object, or an empty one: flunq treats non-object input and context as absent. */
export function objectOrEmpty(value: unknown): JsonObject {
  return isPlainObject(value) ? value : {};
}
