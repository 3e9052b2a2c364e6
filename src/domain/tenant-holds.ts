/**
 * Which tenants hold which entries of a shared pool of connections (broker connections, gRPC
 * channels), and how many calls each runs on each, so that one tenant cannot take the whole pool.
 *
 * A tenant holds an entry from its first call on it (whether it opened the entry or found it open,
 * shared with other tenants because target and credentials are the same) until it lets go of it or
 * the pool closes the entry. A tenant holds at most `perTenant` entries: one that needs another
 * first lets go of its least recently used entry it has no call running on (closed when no other
 * tenant holds it, else left open for them); when it has calls running on all of them, its call is
 * refused, and other tenants are not affected.
 */
export class TenantHolds {
  /** Per tenant: the entries it holds, least recently used first, with its calls running on each. */
  private readonly tenants = new Map<string, Map<string, number>>();
  /** Per entry: the tenants holding it. */
  private readonly holders = new Map<string, Set<string>>();
  /** Per entry: calls running on it, all tenants together (absent when none). */
  private readonly calls = new Map<string, number>();

  constructor(readonly perTenant: number) {
    if (!Number.isInteger(perTenant) || perTenant < 1) throw new RangeError(`perTenant must be an integer of at least 1, got ${perTenant}`);
  }

  /**
   * Starts one call of `tenant` on `key`. Returns the entries no tenant holds any more (the caller
   * closes them), or undefined when the tenant would need one more entry than it may hold and has
   * calls running on every one it holds (nothing changed then).
   */
  begin(tenant: string, key: string): string[] | undefined {
    const mine = this.tenants.get(tenant) ?? new Map<string, number>();
    const running = mine.get(key);
    const unheld: string[] = [];
    if (running === undefined) {
      const needed = mine.size + 1 - this.perTenant;
      if (needed > 0) {
        const idle = [...mine].filter(([, n]) => n === 0).map(([k]) => k);
        if (idle.length < needed) return undefined;
        for (const released of idle.slice(0, needed)) {
          mine.delete(released);
          const others = this.holders.get(released);
          others?.delete(tenant);
          if (!others || others.size === 0) {
            this.holders.delete(released);
            unheld.push(released);
          }
        }
      }
      const holding = this.holders.get(key) ?? new Set<string>();
      holding.add(tenant);
      this.holders.set(key, holding);
    } else {
      // Most recently used last.
      mine.delete(key);
    }
    mine.set(key, (running ?? 0) + 1);
    this.tenants.set(tenant, mine);
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    return unheld;
  }

  /** Ends one call of `tenant` on `key` (started by `begin`); the tenant keeps holding the entry. */
  end(tenant: string, key: string): void {
    const mine = this.tenants.get(tenant);
    const running = mine?.get(key);
    if (mine && running !== undefined && running > 0) mine.set(key, running - 1);
    const left = (this.calls.get(key) ?? 1) - 1;
    if (left > 0) this.calls.set(key, left);
    else this.calls.delete(key);
  }

  /** Whether any call runs on `key`. */
  busy(key: string): boolean {
    return this.calls.has(key);
  }

  /** The pool closed `key` (it has no call running): no tenant holds it any more. */
  forget(key: string): void {
    for (const tenant of this.holders.get(key) ?? []) {
      const mine = this.tenants.get(tenant);
      mine?.delete(key);
      if (mine?.size === 0) this.tenants.delete(tenant);
    }
    this.holders.delete(key);
  }

  /** How many entries `tenant` holds. */
  held(tenant: string): number {
    return this.tenants.get(tenant)?.size ?? 0;
  }
}
