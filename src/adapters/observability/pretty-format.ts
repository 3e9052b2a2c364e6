import { configure } from 'safe-stable-stringify';
import winston from 'winston';

/** triple-beam's message key (winston's info object). */
const MESSAGE = Symbol.for('message');

/** Set by the logger on every line; not repeated as a field. */
const NOT_FIELDS = new Set(['level', 'message', 'timestamp', 'service']);

const ANSI = {
  reset: '\u001b[0m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  cyan: '\u001b[36m',
} as const;
const LEVEL_COLOURS: Record<string, string> = { debug: '\u001b[34m', info: '\u001b[32m', warn: '\u001b[33m', error: '\u001b[31m' };

const stringify = configure({ bigint: true });

/** `key=value`: bare when the value is a word or a number, JSON otherwise (quoted text, objects). */
function fieldValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return /^[^\s"'=\\]+$/.test(value) ? value : JSON.stringify(value);
  return stringify(value) ?? '';
}

export interface PrettyOptions {
  /** ANSI colours (for a terminal). */
  colors: boolean;
}

/**
 * One readable line per event for a terminal: `time LEVEL message key=value …`, the level
 * coloured. Fields come after the redaction format, like the JSON lines.
 */
export const prettyFormat = winston.format((info, opts: unknown) => {
  const options = opts as PrettyOptions;
  const record = info as unknown as Record<string | symbol, unknown>;
  const level = String(record['level']);
  const paint = (code: string | undefined, text: string): string => (options.colors && code ? `${code}${text}${ANSI.reset}` : text);
  const parts = [paint(ANSI.dim, typeof record['timestamp'] === 'string' ? record['timestamp'] : ''), paint(LEVEL_COLOURS[level], level.toUpperCase().padEnd(5)), paint(ANSI.bold, String(record['message']))];
  for (const key of Object.keys(record)) {
    if (NOT_FIELDS.has(key) || record[key] === undefined) continue;
    parts.push(`${paint(ANSI.cyan, key)}=${fieldValue(record[key])}`);
  }
  record[MESSAGE] = parts.join(' ').replace(/\r?\n/g, '\\n');
  return info;
});
