/**
 * Fair dispatch across tenants, the pure part: the table of tenant weights and caps (and its
 * syntax), request priorities, and each tenant's fair share of the executor's slots.
 */

/** One tenant's entitlement: a weight (relative share of the slots) and an optional hard cap. */
export interface TenantShare {
  /** Relative weight, 1 to 1000: a tenant of weight 3 gets three times the slots of one of weight 1. */
  weight: number;
  /** Most tasks of the tenant running at once, whatever is free (undefined: no cap). */
  cap: number | undefined;
}

/** Weights and caps by tenant id, and the entitlement of every tenant not listed. */
export interface TenantShareTable {
  tenants: ReadonlyMap<string, TenantShare>;
  fallback: TenantShare;
}

export const DEFAULT_TENANT_SHARES: TenantShareTable = { tenants: new Map(), fallback: { weight: 1, cap: undefined } };

export const MAX_WEIGHT = 1000;
export const MAX_CAP = 10_000;

/** The share of one tenant in the table (its own row, or the `*` row). */
export function shareOf(table: TenantShareTable, tenantId: string): TenantShare {
  return table.tenants.get(tenantId) ?? table.fallback;
}

/** A malformed tenant share table; the message names the offending entry. */
export class TenantSharesSyntaxError extends Error {
  override readonly name = 'TenantSharesSyntaxError';
}

const TENANT_NAME = /^[^\s=,:*]+$/;

function wholeNumber(text: string, what: string, max: number, entry: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new TenantSharesSyntaxError(`entry "${entry}": ${what} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

/**
 * Parses `tenant=weight[:cap=N]` entries separated by commas, `*` naming every tenant not listed:
 * `acme=3,beta=1:cap=4,*=1`. An empty text gives every tenant weight 1 and no cap. Throws a
 * TenantSharesSyntaxError naming the first bad entry (unknown option, bad number, repeated tenant).
 */
export function parseTenantShares(text: string): TenantShareTable {
  const tenants = new Map<string, TenantShare>();
  let fallback: TenantShare | undefined;
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [head = '', ...options] = entry.split(':');
    const eq = head.indexOf('=');
    if (eq < 0) throw new TenantSharesSyntaxError(`entry "${entry}": expected tenant=weight, e.g. acme=3 or acme=3:cap=4`);
    const name = head.slice(0, eq).trim();
    if (name !== '*' && !TENANT_NAME.test(name)) throw new TenantSharesSyntaxError(`entry "${entry}": "${name}" is not a tenant id (use * for every other tenant)`);
    const share: TenantShare = { weight: wholeNumber(head.slice(eq + 1).trim(), 'the weight', MAX_WEIGHT, entry), cap: undefined };
    for (const option of options) {
      const m = /^\s*cap\s*=\s*(.*?)\s*$/.exec(option);
      if (!m) throw new TenantSharesSyntaxError(`entry "${entry}": unknown option "${option}" (the only option is cap=N)`);
      share.cap = wholeNumber(m[1] ?? '', 'the cap', MAX_CAP, entry);
    }
    if (name === '*') {
      if (fallback) throw new TenantSharesSyntaxError('"*" is listed twice');
      fallback = share;
    } else {
      if (tenants.has(name)) throw new TenantSharesSyntaxError(`tenant "${name}" is listed twice`);
      tenants.set(name, share);
    }
  }
  return { tenants, fallback: fallback ?? DEFAULT_TENANT_SHARES.fallback };
}

/** Request priorities: 1 is the most urgent, 5 the least; a request without one (or with a bad one) is 3. */
export const DEFAULT_PRIORITY = 3;

/** The priority a request's `priority` attribute asks for: an integer from 1 to 5, else the default. */
export function priorityOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PRIORITY;
  const text = raw.trim();
  return /^[1-5]$/.test(text) ? Number(text) : DEFAULT_PRIORITY;
}

/**
 * Each active tenant's fair share of `slots` (fractional): the slots divided in proportion to the
 * weights, a tenant whose cap is below its portion held at its cap and the rest divided again among
 * the others (water-filling). Tenants not given get nothing; an empty input gives an empty map.
 */
export function fairShares(tenants: ReadonlyMap<string, TenantShare>, slots: number): Map<string, number> {
  const shares = new Map<string, number>();
  let open = [...tenants.entries()];
  let left = slots;
  while (open.length > 0 && left > 0) {
    const totalWeight = open.reduce((sum, [, s]) => sum + s.weight, 0);
    const capped = open.filter(([, s]) => s.cap !== undefined && s.cap < (left * s.weight) / totalWeight);
    if (capped.length === 0) {
      for (const [tenant, s] of open) shares.set(tenant, (left * s.weight) / totalWeight);
      return shares;
    }
    for (const [tenant, s] of capped) {
      const cap = s.cap ?? 0;
      shares.set(tenant, cap);
      left -= cap;
    }
    open = open.filter(([tenant]) => !shares.has(tenant));
  }
  for (const [tenant] of open) shares.set(tenant, 0);
  return shares;
}
