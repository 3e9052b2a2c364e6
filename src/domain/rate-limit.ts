/**
 * Rate limits of outbound calls, the pure part: rates (`10/s`), the operator's table of host
 * patterns (CALL_RATE_LIMITS) and how a host finds its rule, the GCRA arithmetic every backend
 * shares, and `Retry-After` values. docs/call-rate-limits.md describes the behaviour.
 */

/** `count` calls per `periodMs`. */
export interface Rate {
  count: number;
  periodMs: number;
  /** As written, normalised (`10/s`, `100/m`, `5/10s`): shown in errors and used in bucket keys. */
  text: string;
}

/** One bucket's parameters: a slot every `intervalMs`, `burst` slots at most taken at once. */
export interface BucketShape {
  /** Emission interval: the period divided by the count (ms, may be fractional). */
  intervalMs: number;
  /** Calls that may go at once after a quiet time (1: evenly spaced). */
  burst: number;
}

/** One entry of CALL_RATE_LIMITS. */
export interface HostRateRule {
  /** As configured (`api.example.com`, `*.stripe.com`, `*`, `localhost:8080`): the metric label. */
  pattern: string;
  rate: Rate;
  burst: number;
  /** One bucket per host the pattern matches, rather than one for them all. */
  perHost: boolean;
  /** One bucket per tenant, rather than one for every tenant. */
  perTenant: boolean;
}

export class RateLimitSyntaxError extends Error {
  override readonly name = 'RateLimitSyntaxError';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_COUNT = 1_000_000;
const MAX_PERIOD_MS = 86_400_000;
export const MAX_BURST = 100_000;
/** Linear (no nested quantifiers) and anchored: `N/unit` or `N/Munit`. */
const RATE = /^(\d{1,7})\s*\/\s*(\d{0,5})\s*(ms|s|m|h)$/;

/**
 * `N/unit` or `N/Munit` with unit `ms`, `s`, `m` or `h`: `10/s`, `100/m`, `5/10s`. Between 1 and
 * 1,000,000 calls, in a period of at most a day. Throws a RateLimitSyntaxError saying what is wrong.
 */
export function parseRate(text: string): Rate {
  const m = RATE.exec(text.trim().toLowerCase());
  if (!m) throw new RateLimitSyntaxError(`"${text}" is not a rate: expected calls/period such as 10/s, 100/m, 5/10s or 1000/h`);
  const count = Number(m[1]);
  const multiple = m[2] === '' || m[2] === undefined ? 1 : Number(m[2]);
  const periodMs = multiple * (UNIT_MS[m[3] ?? 's'] ?? 1000);
  if (count < 1 || count > MAX_COUNT) throw new RateLimitSyntaxError(`rate "${text}": the count must be from 1 to ${MAX_COUNT}`);
  if (periodMs < 1 || periodMs > MAX_PERIOD_MS) throw new RateLimitSyntaxError(`rate "${text}": the period must be from 1 ms to 24 h`);
  return { count, periodMs, text: `${count}/${multiple === 1 ? '' : multiple}${m[3] ?? 's'}` };
}

export function bucketShape(rate: Rate, burst: number): BucketShape {
  return { intervalMs: rate.periodMs / rate.count, burst };
}

/** A host name, an IPv4 or a bracketed IPv6 address, optionally `:port`; `*.` before a name: any name below it. */
const HOST_PATTERN = /^(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

function wholeNumber(text: string, what: string, max: number, entry: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > max) throw new RateLimitSyntaxError(`entry "${entry}": ${what} must be an integer from 1 to ${max}, got "${text}"`);
  return Number(text);
}

/**
 * Parses CALL_RATE_LIMITS: entries `pattern=rate[:burst=N][:per-host][:per-tenant]` separated by
 * `;` (or new lines). A pattern is a host (`api.example.com`, `10.0.0.5`, `[::1]`), optionally with
 * a port, `*.` followed by a domain (every name below it, at any depth, not the domain itself), or
 * `*` (every host). Compared as text, label by label, never as a regular expression.
 */
export function parseHostRateRules(text: string): HostRateRule[] {
  const rules: HostRateRule[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/[;\n]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) throw new RateLimitSyntaxError(`entry "${entry}": expected pattern=rate, e.g. api.example.com=10/s`);
    const pattern = entry.slice(0, eq).trim().toLowerCase();
    if (!HOST_PATTERN.test(pattern)) throw new RateLimitSyntaxError(`entry "${entry}": "${pattern}" is not a host pattern (a host, *.domain or *, optionally with :port)`);
    if (seen.has(pattern)) throw new RateLimitSyntaxError(`entry "${entry}": the pattern ${pattern} is given twice`);
    seen.add(pattern);
    const [rateText = '', ...options] = entry.slice(eq + 1).split(':');
    let rate: Rate;
    try {
      rate = parseRate(rateText);
    } catch (error) {
      throw new RateLimitSyntaxError(`entry "${entry}": ${(error as Error).message}`);
    }
    const rule: HostRateRule = { pattern, rate, burst: 1, perHost: false, perTenant: false };
    for (const rawOption of options) {
      const option = rawOption.trim().toLowerCase();
      if (option.startsWith('burst=')) rule.burst = wholeNumber(option.slice('burst='.length), 'the burst', MAX_BURST, entry);
      else if (option === 'per-host') rule.perHost = true;
      else if (option === 'per-tenant') rule.perTenant = true;
      else throw new RateLimitSyntaxError(`entry "${entry}": unknown option "${rawOption.trim()}" (burst=N, per-host or per-tenant)`);
    }
    rules.push(rule);
  }
  return rules;
}

/** Where a call goes, as rate limits see it: the host name in lower case and the port it uses. */
export interface CallHost {
  /** Lower case; IPv6 addresses in brackets. */
  name: string;
  port: number;
}

/** `host:port`: the name of one host's bucket. */
export function hostLabel(host: CallHost): string {
  return `${host.name}:${host.port}`;
}

/** The rule for a host: an exact pattern with the port, then without, then the longest `*.` suffix, then `*`. */
export function ruleFor(rules: readonly HostRateRule[], host: CallHost): HostRateRule | undefined {
  let best: HostRateRule | undefined;
  let bestScore = -1;
  for (const rule of rules) {
    const score = matchScore(rule.pattern, host);
    if (score > bestScore) {
      best = rule;
      bestScore = score;
    }
  }
  return best;
}

/** -1: no match; otherwise higher is more specific. */
function matchScore(pattern: string, host: CallHost): number {
  let name = pattern;
  let withPort = false;
  const colon = pattern.lastIndexOf(':');
  if (colon > 0 && !pattern.endsWith(']')) {
    if (Number(pattern.slice(colon + 1)) !== host.port) return -1;
    name = pattern.slice(0, colon);
    withPort = true;
  }
  const bonus = withPort ? 1 : 0;
  if (name === '*') return bonus;
  if (name.startsWith('*.')) {
    const suffix = name.slice(1);
    return host.name.endsWith(suffix) && host.name.length > suffix.length ? 2 + 2 * suffix.length + bonus : -1;
  }
  return name === host.name ? 1_000_000 + bonus : -1;
}

/** What a reservation decided: go after `waitMs`, or no slot within the time allowed. */
export type Reservation = { granted: true; waitMs: number } | { granted: false; retryAfterMs: number };

/**
 * GCRA (the generic cell rate algorithm) as a reservation: `tat` is the bucket's theoretical
 * arrival time (epoch ms; `undefined` for a new bucket). A call may go at `max(tat, now) - (burst -
 * 1) * interval`; when that is within `maxWaitMs` the slot is taken (the new `tat` is one interval
 * later) and the caller waits until then, else nothing changes and the caller learns when a slot
 * would be free. Every backend computes exactly this, atomically per bucket.
 */
export function gcraReserve(tat: number | undefined, nowMs: number, shape: BucketShape, maxWaitMs: number): { reservation: Reservation; tat: number | undefined } {
  const base = Math.max(tat ?? nowMs, nowMs);
  const allowAt = base - (shape.burst - 1) * shape.intervalMs;
  const waitMs = Math.max(0, allowAt - nowMs);
  if (waitMs > maxWaitMs) return { reservation: { granted: false, retryAfterMs: Math.ceil(waitMs) }, tat };
  return { reservation: { granted: true, waitMs: Math.ceil(waitMs) }, tat: base + shape.intervalMs };
}

/**
 * The `tat` once one granted slot is given back (its call was not sent): one interval earlier,
 * never before `nowMs`; undefined when the bucket is then as good as new.
 */
export function gcraRelease(tat: number | undefined, nowMs: number, shape: BucketShape): number | undefined {
  if (tat === undefined) return undefined;
  const released = tat - shape.intervalMs;
  return released > nowMs ? released : undefined;
}

/** The `tat` that lets no call go before `untilMs` (never earlier than the bucket's own). */
export function gcraPushBack(tat: number | undefined, untilMs: number, shape: BucketShape): number {
  return Math.max(tat ?? untilMs, untilMs + (shape.burst - 1) * shape.intervalMs);
}

/** How long a bucket must be kept: until its `tat` has passed (after that it is as good as new). */
export function bucketTtlMs(tat: number, nowMs: number): number {
  return Math.max(1, Math.ceil(tat - nowMs));
}

const HTTP_DATE_MAX_LENGTH = 64;

/**
 * A `Retry-After` value (RFC 9110: delay seconds or an HTTP date) as a delay from `nowMs` in ms;
 * undefined when it is neither, or a date in the past. Delay seconds are whole and non-negative.
 */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (text.length > HTTP_DATE_MAX_LENGTH || !/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  const delay = at - nowMs;
  return delay > 0 ? delay : undefined;
}
