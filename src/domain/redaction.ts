/**
 * One redaction pass for everything that leaves the process (outputs, resolved input,
 * dead letters, logs): protocol Appendix B.4.
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

/** `Bearer abc` → `Bearer ***`; anything else → `***`. */
export function redactSecretValue(value: unknown): unknown {
  if (typeof value === 'string') {
    const m = SCHEME.exec(value);
    return m ? `${m[1]} ${REDACTED}` : REDACTED;
  }
  if (Array.isArray(value)) return value.map(redactSecretValue);
  if (value === null || value === undefined) return value;
  return REDACTED;
}

/** Replaces every occurrence of the given secret values in a text. */
export function redactText(text: string, secretValues: readonly string[] = []): string {
  let out = text;
  for (const secret of secretValues) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** True when `redactDeep` would change something: a sensitive key at any depth, or a secret value. */
function needsRedaction(value: unknown, extraNames: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (needsRedaction(v, extraNames)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (isSensitiveName(key, extraNames) || needsRedaction((value as Record<string, unknown>)[key], extraNames)) return true;
  }
  return false;
}

/**
 * A copy in which values under sensitive keys are hidden and known secret values are blanked
 * out of every string. When there are no secret values and no key is sensitive, the value
 * itself is returned (no copy): callers only serialise the result, and copying every payload
 * was a large share of the per-task cost.
 */
export function redactDeep(value: unknown, extraNames: readonly string[] = [], secretValues: readonly string[] = []): unknown {
  if (secretValues.length === 0 && !needsRedaction(value, extraNames)) return value;
  return copyRedacted(value, extraNames, secretValues);
}

function copyRedacted(value: unknown, extraNames: readonly string[], secretValues: readonly string[]): unknown {
  if (typeof value === 'string') return secretValues.length ? redactText(value, secretValues) : value;
  if (Array.isArray(value)) return value.map((v) => copyRedacted(v, extraNames, secretValues));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSensitiveName(key, extraNames) && (typeof v !== 'object' || v === null || Array.isArray(v)) ? redactSecretValue(v) : copyRedacted(v, extraNames, secretValues);
  }
  return out;
}
