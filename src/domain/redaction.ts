/**
 * One redaction pass for everything that leaves the process (outputs, resolved input,
 * dead letters, logs): docs/protocol.md, section 7.
 */
const ALWAYS_SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SENSITIVE_PATTERN = /token|secret|password|passwd|api[-_]?key|credential|client[-_]?assertion/i;
const SCHEME = /^([A-Za-z][A-Za-z0-9-]*)\s+\S/;
export const REDACTED = '***';

/** Verdicts of the built-in rules per key name: the same few keys recur in every payload. */
const builtInVerdicts = new Map<string, boolean>();
const MAX_CACHED_NAMES = 10_000;

function isSensitiveBuiltIn(name: string): boolean {
  let verdict = builtInVerdicts.get(name);
  if (verdict === undefined) {
    verdict = ALWAYS_SENSITIVE.has(name.toLowerCase()) || SENSITIVE_PATTERN.test(name);
    if (builtInVerdicts.size >= MAX_CACHED_NAMES) builtInVerdicts.clear();
    builtInVerdicts.set(name, verdict);
  }
  return verdict;
}

export function isSensitiveName(name: string, extraNames: readonly string[] = []): boolean {
  if (isSensitiveBuiltIn(name)) return true;
  if (extraNames.length === 0) return false;
  const lower = name.toLowerCase();
  return extraNames.some((n) => n.toLowerCase() === lower);
}

/** `Bearer abc` → `Bearer ***`; anything else → `***` (arrays element by element, at any depth). */
export function redactSecretValue(value: unknown): unknown {
  if (!Array.isArray(value)) return redactScalar(value);
  // Iterative: a nested array under a sensitive key must not be able to exhaust the stack.
  const root: unknown[] = [];
  const stack: [unknown[], unknown[]][] = [[value, root]];
  const seen = new Set<unknown[]>();
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const [source, target] = frame;
    // Arrays that contain themselves have no JSON form either.
    if (seen.has(source)) throw new TypeError('cannot redact a value that contains itself (a cycle)');
    seen.add(source);
    for (const item of source) {
      if (Array.isArray(item)) {
        const copy: unknown[] = [];
        stack.push([item, copy]);
        target.push(copy);
      } else target.push(redactScalar(item));
    }
  }
  return root;
}

function redactScalar(value: unknown): unknown {
  if (typeof value === 'string') {
    const m = SCHEME.exec(value);
    return m ? `${m[1]} ${REDACTED}` : REDACTED;
  }
  if (value === null || value === undefined) return value;
  return REDACTED;
}

/** Secrets shorter than this are not blanked out of texts (they would match everywhere). */
const MIN_SECRET_LENGTH = 4;

function percent(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The forms a secret takes in the texts we publish: as given; percent-encoded as a URL component
 * (encodeURIComponent), as a form or query value (space as `+`, as URLSearchParams and Go's
 * url.QueryEscape write it, which also encode some of `!'()*~`), each with upper- or lower-case
 * hex digits; and escaped inside a JSON string (a server echoing a token containing `"` or `\`).
 * Longest first, so that a longer form is blanked whole before a shorter one could cut into it.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  let component: string | undefined;
  try {
    component = encodeURIComponent(secret);
  } catch {
    // A lone surrogate cannot be percent-encoded, so it cannot have been sent encoded either.
  }
  if (component !== undefined) {
    const form = component.replace(/%20/g, '+');
    for (const encoded of [component, form, form.replace(/[!'()~]/g, percent), form.replace(/[!'()*]/g, percent), component.replace(/[!'()*]/g, percent)]) {
      forms.add(encoded);
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, '\\/'));
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Every form of every secret long enough to be blanked out, longest first. */
function formsOf(secretValues: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secretValues) if (secret.length >= MIN_SECRET_LENGTH) for (const form of secretForms(secret)) forms.add(form);
  return [...forms].sort((a, b) => b.length - a.length);
}

function blankForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/** Replaces every occurrence of the given secret values, in any of their encoded forms, in a text. */
export function redactText(text: string, secretValues: readonly string[] = []): string {
  return blankForms(text, formsOf(secretValues));
}

/**
 * True when `redactDeep` would change something: a sensitive key at any depth. Iterative, so a
 * payload nested deeper than the stack cannot make it throw.
 */
function needsRedaction(value: unknown, extraNames: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  // A node met again (shared or cyclic) was already looked at.
  const seen = new Set<object>();
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    if (seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (const v of current as unknown[]) if (v !== null && typeof v === 'object') stack.push(v);
      continue;
    }
    for (const key in current) {
      if (!Object.prototype.hasOwnProperty.call(current, key)) continue;
      if (isSensitiveName(key, extraNames)) return true;
      const v = (current as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
  return false;
}

/**
 * A copy in which values under sensitive keys are hidden and known secret values (in every
 * encoded form) are blanked out of every string. When there are no secret values and no key is
 * sensitive, the value itself is returned (no copy): callers only serialise the result, and
 * copying every payload was a large share of the per-task cost. Never recurses, whatever the depth.
 */
export function redactDeep(value: unknown, extraNames: readonly string[] = [], secretValues: readonly string[] = []): unknown {
  if (secretValues.length === 0 && !needsRedaction(value, extraNames)) return value;
  return copyRedacted(value, extraNames, formsOf(secretValues));
}

type Container = Record<string, unknown> | unknown[];

function setEntry(target: Container, key: string | number, v: unknown): void {
  if (Array.isArray(target)) target[key as number] = v;
  // A `__proto__` key of parsed JSON is data: assigning it would change the copy's prototype.
  else if (key === '__proto__') Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  else target[key] = v;
}

/**
 * Depth first with an explicit stack. A node is an ancestor from its frame until its exit marker
 * pops, after all of its descendants: meeting an ancestor again is a cycle, which JSON could not
 * represent either (shared, acyclic nodes are simply copied twice).
 */
function copyRedacted(value: unknown, extraNames: readonly string[], forms: readonly string[]): unknown {
  type Frame = { source: object; target: Container } | { exit: object };
  const stack: Frame[] = [];
  const ancestors = new Set<object>();
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') return forms.length ? blankForms(v, forms) : v;
    if (v === null || typeof v !== 'object') return v;
    const target: Container = Array.isArray(v) ? [] : {};
    stack.push({ source: v, target });
    return target;
  };
  const root = copy(value);
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if ('exit' in frame) {
      ancestors.delete(frame.exit);
      continue;
    }
    const { source, target } = frame;
    if (ancestors.has(source)) throw new TypeError('cannot redact a value that contains itself (a cycle)');
    ancestors.add(source);
    stack.push({ exit: source });
    if (Array.isArray(source)) {
      for (let i = 0; i < source.length; i++) setEntry(target, i, copy((source as unknown[])[i]));
      continue;
    }
    for (const [key, v] of Object.entries(source as Record<string, unknown>)) {
      const hidden = isSensitiveName(key, extraNames) && (typeof v !== 'object' || v === null || Array.isArray(v));
      setEntry(target, key, hidden ? redactSecretValue(v) : copy(v));
    }
  }
  return root;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** `scheme://` (or `scheme:\\`, which URL parsers read the same way) and the authority after it. */
const AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:[/\\]{2})([^/?#\\]*)/;
const PARAMETER = /([?&#])([^=&#]*)=([^&#]*)/g;
/**
 * Query parameter names that carry credentials in URLs although they are too generic to be
 * sensitive as JSON keys: Google's `key`, signed URLs' `sig` / `signature` (and AWS's
 * `X-Amz-Signature`, `X-Amz-Credential`), OAuth's `code`, `auth`, `jwt`, session ids.
 */
const SENSITIVE_QUERY_NAMES = new Set(['key', 'sig', 'signature', 'x-amz-signature', 'x-amz-security-token', 'x-goog-signature', 'code', 'auth', 'jwt', 'session', 'sessionid', 'sid', 'hash']);

export function isSensitiveQueryName(name: string, extraNames: readonly string[]): boolean {
  return SENSITIVE_QUERY_NAMES.has(name.toLowerCase()) || isSensitiveName(name, extraNames);
}

/**
 * A URL (or any text that may be one) as it may be published: without user info (`user:pass@`,
 * up to the last `@` of the authority, as URL parsers read it) and with the value of every query
 * or fragment parameter whose name is sensitive (`api_key`, `access_token`, `token`, `key`, `sig`, …,
 * or one of `extraNames`) replaced by `***`. Everything else is kept as written.
 */
export function redactUrl(text: string, extraNames: readonly string[] = []): string {
  let out = text;
  const authority = AUTHORITY.exec(out);
  if (authority?.[1] !== undefined && authority[2] !== undefined) {
    const at = authority[2].lastIndexOf('@');
    if (at >= 0) out = authority[1] + authority[2].slice(at + 1) + out.slice(authority[0].length);
  }
  const start = out.search(/[?#]/);
  if (start < 0) return out;
  const tail = out.slice(start).replace(PARAMETER, (whole: string, separator: string, name: string) =>
    isSensitiveQueryName(decodedName(name), extraNames) ? `${separator}${name}=${REDACTED}` : whole,
  );
  return out.slice(0, start) + tail;
}

/**
 * The text values found under sensitive names anywhere in `values` (API keys, tokens, passwords in
 * a task's input or context), at most `limit` of them. Iterative, and safe on shared or cyclic
 * values: used to blank them out of messages that may quote them (expression errors).
 */
export function sensitiveTexts(values: readonly unknown[], extraNames: readonly string[] = [], limit = 1000): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  const stack: { value: unknown; sensitive: boolean }[] = values.map((value) => ({ value, sensitive: false }));
  while (stack.length > 0 && found.size < limit) {
    const { value, sensitive } = stack.pop() as { value: unknown; sensitive: boolean };
    if (typeof value === 'string') {
      if (sensitive && value.length >= MIN_SECRET_LENGTH) found.add(value);
      continue;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push({ value: item, sensitive });
      continue;
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) stack.push({ value: item, sensitive: sensitive || isSensitiveName(key, extraNames) });
  }
  return [...found];
}
