/**
 * One redaction pass for everything that leaves the process (outputs, resolved input,
 * dead letters, logs): protocol Appendix B.4.
 */
const ALWAYS_SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SENSITIVE_PATTERN = /token|secret|password|passwd|api[-_]?key|credential|client[-_]?assertion/i;
const SCHEME = /^([A-Za-z][A-Za-z0-9-]*)\s+\S/;
export const REDACTED = '***';

export function isSensitiveName(name: string, extraNames: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  if (ALWAYS_SENSITIVE.has(lower) || SENSITIVE_PATTERN.test(name)) return true;
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

/**
 * A deep copy in which values under sensitive keys are hidden and known secret values
 * are blanked out of every string.
 */
export function redactDeep(value: unknown, extraNames: readonly string[] = [], secretValues: readonly string[] = []): unknown {
  if (typeof value === 'string') return secretValues.length ? redactText(value, secretValues) : value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, extraNames, secretValues));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSensitiveName(key, extraNames) && (typeof v !== 'object' || v === null || Array.isArray(v)) ? redactSecretValue(v) : redactDeep(v, extraNames, secretValues);
  }
  return out;
}
