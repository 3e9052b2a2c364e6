/** How the settings table (`env.ts`) reads one variable, and the parsers its entries use. */
import { parseDuration } from '../domain/duration';

/**
 * One environment variable the service reads, with its default and expected form.
 * The README table and `.env.example` list exactly these (a test checks that they agree).
 */
export interface VariableSpec<T> {
  name: string;
  /** The default as written in `.env.example` (empty: unset). */
  default: string;
  /** Expected form, shown in error messages. */
  expected: string;
  description: string;
  parse(raw: string): T;
}

/** Thrown by a parser: the raw value is not of the expected form. */
export class InvalidValue extends Error {}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    if (!/^\d+$/.test(raw.trim())) throw new InvalidValue();
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidValue();
    return n;
  };
}

export function bool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InvalidValue();
}

export function oneOf<T extends string>(...values: T[]): (raw: string) => T {
  return (raw) => {
    const v = raw.trim().toLowerCase() as T;
    if (!values.includes(v)) throw new InvalidValue();
    return v;
  };
}

export function durationMs(raw: string): number {
  try {
    return parseDuration(raw);
  } catch {
    throw new InvalidValue();
  }
}

export function text(raw: string): string {
  return raw;
}

export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function redisUrl(raw: string): string {
  const v = raw.trim();
  if (/^rediss?:\/\/[^\s]+$/.test(v)) {
    // What the connection will parse, checked now: a bad port or bracket is a configuration error.
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new InvalidValue();
    }
    if (url.hostname === '' || (url.port !== '' && Number(url.port) > 65_535)) throw new InvalidValue();
    return v;
  }
  const hostPort = /^([A-Za-z0-9.\-_]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(v);
  if (hostPort && Number(hostPort[2]) <= 65_535) return v;
  if (/^[A-Za-z0-9.\-_]+$/.test(v)) return v;
  throw new InvalidValue();
}

/** One or more `nats://` or `tls://` URLs, comma-separated (credentials allowed in them). */
export function natsUrl(raw: string): string {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new InvalidValue();
  for (const part of parts) {
    let url: URL;
    try {
      url = new URL(part.includes('://') ? part : `nats://${part}`);
    } catch {
      throw new InvalidValue();
    }
    if (!['nats:', 'tls:'].includes(url.protocol) || url.hostname === '' || (url.port !== '' && Number(url.port) > 65_535)) throw new InvalidValue();
  }
  return raw.trim();
}

export function httpUrl(raw: string): string {
  const v = raw.trim();
  try {
    const url = new URL(v);
    if (url.protocol === 'http:' || url.protocol === 'https:') return v;
  } catch {
    // refused below
  }
  throw new InvalidValue();
}

/** `host:port,host:port,…` (seed nodes of a Redis Cluster); empty: a single Redis at REDIS_URL. */
export function clusterNodes(raw: string): { host: string; port: number }[] {
  return list(raw).map((node) => {
    const m = /^([A-Za-z0-9.\-_]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(node);
    if (!m || Number(m[2]) > 65_535 || Number(m[2]) === 0) throw new InvalidValue();
    return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  });
}

export const DURATION_FORM = 'a duration such as 1s, 500ms, 1m30s or PT1S';
