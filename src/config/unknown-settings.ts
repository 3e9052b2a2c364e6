import { VARIABLES } from './env';

/**
 * Prefixes of the executor's settings. A variable with one of them that the settings table does
 * not know is most likely a typo (`EXECUTOR_CONCURENCY`), silently ignored otherwise.
 */
export const SETTING_PREFIXES = [
  'EXECUTOR_', 'REDIS_', 'NATS_', 'HTTP_', 'CALL_', 'CIRCUIT_BREAKER_', 'OPENAPI_', 'CONSOLE_', 'TASK_', 'RETRY_', 'LOG_', 'HEALTH_', 'METRICS_', 'EVENT_', 'EXPRESSION_', 'ASYNCAPI_',
] as const;

/**
 * Variables with those prefixes that other software sets: proxies, and the service links that
 * Kubernetes (and Docker's legacy links) put in every container of a namespace, e.g.
 * `REDIS_SERVICE_HOST`, `REDIS_PORT=tcp://10.0.0.1:6379`, `REDIS_PORT_6379_TCP_ADDR`.
 */
const FOREIGN = [/^HTTP_PROXY$/, /_SERVICE_HOST$/, /_SERVICE_PORT(_[A-Z0-9_]+)?$/, /_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/];
const SERVICE_LINK_VALUE = /^(tcp|udp|sctp):\/\//;

export interface UnknownSetting {
  name: string;
  /** The known setting closest to `name`, when it is close enough to be the one meant. */
  suggestion: string | undefined;
}

/** Edit distance (insertions, deletions, substitutions), one row at a time. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest of `known` to `name`, if at most a third of `name`'s characters differ. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = levenshtein(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Variables in `env` that look like settings (one of SETTING_PREFIXES) but are not in the settings
 * table, sorted by name. The known names come from VARIABLES, so a setting added to the table is
 * known here without further change.
 */
export function unknownSettings(env: Readonly<Record<string, string | undefined>>, known: readonly string[] = Object.keys(VARIABLES)): UnknownSetting[] {
  const knownSet = new Set(known);
  const out: UnknownSetting[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (knownSet.has(name) || !SETTING_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    if (FOREIGN.some((pattern) => pattern.test(name)) || (name.endsWith('_PORT') && SERVICE_LINK_VALUE.test(value ?? ''))) continue;
    out.push({ name, suggestion: closestName(name, known) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `unknown setting EXECUTOR_CONCURENCY (did you mean EXECUTOR_CONCURRENCY?)` */
export function describeUnknownSetting(setting: UnknownSetting): string {
  return `unknown setting ${setting.name}${setting.suggestion ? ` (did you mean ${setting.suggestion}?)` : ''}`;
}
