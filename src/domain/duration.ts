import { errors, WorkflowError } from './workflow-error';

/**
 * Durations as milliseconds. Accepted forms:
 * - ISO 8601 (`PT2S`, `P1DT2H`, `PT0.5S`, `P1W`); years and months have no fixed
 *   length and are rejected;
 * - the Serverless Workflow object `{days, hours, minutes, seconds, milliseconds}`;
 * - Go duration strings (`300ms`, `1.5s`, `1m30s`, `2h0m0s`), which the flunq worker sends.
 */
const ISO_8601 =
  /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;
const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

const MS = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const OBJECT_UNITS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1 } as const;

function invalid(value: unknown, why: string): WorkflowError {
  let shown: string;
  try {
    shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  } catch {
    shown = String(value);
  }
  return errors.validation(`invalid duration ${shown}: ${why}`, 'INVALID_DURATION');
}

function num(text: string): number {
  return Number(text.replace(',', '.'));
}

function parseIso(text: string): number {
  const m = ISO_8601.exec(text);
  if (!m) throw invalid(text, 'expected ISO 8601 such as PT2S, a Go duration such as 1.5s, or {seconds: 2}');
  if (m[1] !== undefined || m[2] !== undefined) throw invalid(text, 'years and months have no fixed length');
  const [, , , w, d, h, min, s] = m;
  return (
    (w ? num(w) * 7 * 86_400_000 : 0) +
    (d ? num(d) * 86_400_000 : 0) +
    (h ? num(h) * 3_600_000 : 0) +
    (min ? num(min) * 60_000 : 0) +
    (s ? num(s) * 1000 : 0)
  );
}

function parseGo(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (!GO_DURATION.test(rest)) throw invalid(text, 'expected ISO 8601 such as PT2S, a Go duration such as 1.5s, or {seconds: 2}');
  let total = 0;
  let consumed = 0;
  for (const part of rest.matchAll(GO_PART)) {
    if (part.index !== consumed) break;
    total += Number(part[1]) * MS[part[2] as keyof typeof MS];
    consumed += part[0].length;
  }
  if (consumed !== rest.length) throw invalid(text, 'unexpected characters');
  return sign * total;
}

function parseObject(value: Record<string, unknown>): number {
  const keys = Object.keys(value);
  if (keys.length === 0) throw invalid(value, 'a duration object needs at least one of days, hours, minutes, seconds, milliseconds');
  let total = 0;
  for (const key of keys) {
    const factor = OBJECT_UNITS[key as keyof typeof OBJECT_UNITS];
    if (factor === undefined) throw invalid(value, `unknown unit '${key}'`);
    const n = value[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw invalid(value, `'${key}' must be a non-negative number`);
    total += n * factor;
  }
  return total;
}

/** Parses any accepted duration form into milliseconds; throws a `validation` WorkflowError. */
export function parseDuration(value: unknown): number {
  let ms: number;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') throw invalid(value, 'empty');
    ms = /^[pP]/.test(text) ? parseIso(text) : parseGo(text);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    ms = parseObject(value as Record<string, unknown>);
  } else {
    throw invalid(value, 'expected a string or a duration object');
  }
  if (!Number.isFinite(ms) || ms < 0) throw invalid(value, 'must be finite and not negative');
  return ms;
}

function trimFraction(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, '');
}

/** Formats milliseconds as Go's time.Duration.String() does: `300ms`, `1.5s`, `1m30s`, `2h0m0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1e-3) return `${sign}${trimFraction(abs * 1e6, 0)}ns`;
  if (abs < 1) return `${sign}${trimFraction(abs * 1e3, 3)}µs`;
  if (abs < 1000) return `${sign}${trimFraction(abs, 6)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = trimFraction((abs % 60_000) / 1000, 9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
