/**
 * OpenAPI 3 parameter serialization (style/explode), RFC 6570 flavoured, without a library:
 * path (simple, label, matrix), query (form, spaceDelimited, pipeDelimited, deepObject),
 * header (simple) and cookie (form).
 */
export type Location = 'path' | 'query' | 'header' | 'cookie';

export interface ParameterSpec {
  name: string;
  in: Location;
  style?: string;
  explode?: boolean;
  /** `content`-typed parameters are sent as JSON text. */
  json?: boolean;
}

export function defaultStyle(location: Location): string {
  return location === 'query' || location === 'cookie' ? 'form' : 'simple';
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const encode = (s: string): string => encodeURIComponent(s);

/** The text substituted for `{name}` in a path (percent-encoded). */
export function serializePath(spec: ParameterSpec, value: unknown): string {
  const style = spec.style ?? 'simple';
  const explode = spec.explode ?? false;
  if (spec.json) return encode(JSON.stringify(value));
  const name = spec.name;
  if (Array.isArray(value)) {
    const items = value.map((v) => encode(scalar(v)));
    if (style === 'label') return '.' + items.join(explode ? '.' : ',');
    if (style === 'matrix') return explode ? items.map((i) => `;${name}=${i}`).join('') : `;${name}=${items.join(',')}`;
    return items.join(',');
  }
  if (isObject(value)) {
    const pairs = Object.entries(value).map(([k, v]) => [encode(k), encode(scalar(v))] as const);
    if (style === 'label') return '.' + (explode ? pairs.map(([k, v]) => `${k}=${v}`).join('.') : pairs.flat().join(','));
    if (style === 'matrix') return explode ? pairs.map(([k, v]) => `;${k}=${v}`).join('') : `;${name}=${pairs.flat().join(',')}`;
    return explode ? pairs.map(([k, v]) => `${k}=${v}`).join(',') : pairs.flat().join(',');
  }
  const text = encode(scalar(value));
  if (style === 'label') return `.${text}`;
  if (style === 'matrix') return `;${name}=${text}`;
  return text;
}

/** `name=value` pairs, already encoded, to join with `&`. */
export function serializeQuery(spec: ParameterSpec, value: unknown): string[] {
  const style = spec.style ?? 'form';
  const explode = spec.explode ?? style === 'form';
  const name = encode(spec.name);
  if (spec.json) return [`${name}=${encode(JSON.stringify(value))}`];
  if (Array.isArray(value)) {
    const items = value.map((v) => encode(scalar(v)));
    if (explode && style !== 'deepObject') return items.map((i) => `${name}=${i}`);
    const separator = style === 'spaceDelimited' ? '%20' : style === 'pipeDelimited' ? '|' : ',';
    return [`${name}=${items.join(separator)}`];
  }
  if (isObject(value)) {
    const pairs = Object.entries(value).map(([k, v]) => [encode(k), v] as const);
    if (style === 'deepObject') return pairs.map(([k, v]) => `${name}%5B${k}%5D=${encode(scalar(v))}`);
    if (explode) return pairs.map(([k, v]) => `${k}=${encode(scalar(v))}`);
    const separator = style === 'spaceDelimited' ? '%20' : style === 'pipeDelimited' ? '|' : ',';
    return [`${name}=${pairs.map(([k, v]) => `${k}${separator}${encode(scalar(v))}`).join(separator)}`];
  }
  return [`${name}=${encode(scalar(value))}`];
}

export function serializeHeader(spec: ParameterSpec, value: unknown): string {
  if (spec.json) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(scalar).join(',');
  if (isObject(value)) {
    const pairs = Object.entries(value);
    return spec.explode ? pairs.map(([k, v]) => `${k}=${scalar(v)}`).join(',') : pairs.map(([k, v]) => `${k},${scalar(v)}`).join(',');
  }
  return scalar(value);
}

/** `name=value` cookie pairs (joined with `; `). */
export function serializeCookie(spec: ParameterSpec, value: unknown): string[] {
  if (spec.json) return [`${spec.name}=${encode(JSON.stringify(value))}`];
  const explode = spec.explode ?? true;
  if (Array.isArray(value)) {
    const items = value.map((v) => encode(scalar(v)));
    return explode ? items.map((i) => `${spec.name}=${i}`) : [`${spec.name}=${items.join(',')}`];
  }
  if (isObject(value)) {
    const pairs = Object.entries(value);
    return explode ? pairs.map(([k, v]) => `${k}=${encode(scalar(v))}`) : [`${spec.name}=${pairs.map(([k, v]) => `${k},${encode(scalar(v))}`).join(',')}`];
  }
  return [`${spec.name}=${encode(scalar(value))}`];
}

/** An application/x-www-form-urlencoded body from an object (arrays repeat the key). */
export function formBody(value: unknown): string {
  const form = new URLSearchParams();
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) form.append(k, scalar(item));
    }
    return form.toString();
  }
  return scalar(value);
}
