import { isSensitiveName, REDACTED } from '../domain/redaction';
import { AppConfig } from './env';

const AUTHORITY_WITH_CREDENTIALS = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*)@/;

/** `redis://user:secret@host` → `redis://user:***@host`; `nats://token@host` → `nats://***@host`. */
export function withoutCredentials(text: string): string {
  return text.replace(AUTHORITY_WITH_CREDENTIALS, (_whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@` : `${scheme}${REDACTED}@`;
  });
}

function redacted(value: unknown, sensitive: boolean): unknown {
  if (value === undefined || value === null) return value;
  if (sensitive) return REDACTED;
  if (typeof value === 'string') return withoutCredentials(value);
  if (Array.isArray(value)) return value.map((item) => redacted(item, false));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = redacted(item, isSensitiveName(key));
    return out;
  }
  return value;
}

/**
 * The configuration the service runs with, as logged once at start: every group and value, with
 * secrets hidden (values under names such as password, token or secret, set or not, and the
 * credentials of URLs, e.g. in REDIS_URL). Works on whatever groups AppConfig has.
 */
export function effectiveConfig(config: AppConfig): Record<string, unknown> {
  return redacted(config, false) as Record<string, unknown>;
}
