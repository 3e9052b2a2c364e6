import { Clock } from '../../application/ports/clock.port';

export interface StoredEntry {
  id: string;
  fields: Record<string, string>;
}

export interface PendingEntry {
  consumer: string;
  deliveryCount: number;
  lastDeliveredAt: number;
}

interface GroupState {
  /** Index in `entries` of the next entry never delivered to this group. */
  nextIndex: number;
  pending: Map<string, PendingEntry>;
}

interface StreamState {
  entries: StoredEntry[];
  groups: Map<string, GroupState>;
}

/** A task claim (see TaskSource.claimTask): who holds it and until when (epoch ms). */
interface Lease {
  holder: string;
  expiresAt: number;
}

/**
 * Redis-Streams-like storage in process memory: streams of entries, consumer groups with
 * pending entry lists and delivery counts, and a record of settled task ids. Shared by every
 * InMemoryTaskSource of a process, so replicas and restarts can be simulated.
 */
export class InMemoryStreamBroker {
  private readonly streams = new Map<string, StreamState>();
  private readonly settled = new Set<string>();
  /** Task claims by stream and idempotency key. */
  private readonly leases = new Map<string, Lease>();
  private waiters: (() => void)[] = [];
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  /** Appends an entry (XADD) and wakes blocked readers. Returns its id. */
  append(stream: string, fields: Record<string, string>): string {
    const state = this.stream(stream);
    const id = `${this.clock.now()}-${this.seq++}`;
    state.entries.push({ id, fields: { ...fields } });
    this.wake();
    return id;
  }

  entries(stream: string): readonly StoredEntry[] {
    return this.streams.get(stream)?.entries ?? [];
  }

  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  pending(stream: string, group: string): ReadonlyMap<string, PendingEntry> {
    return this.streams.get(stream)?.groups.get(group)?.pending ?? new Map<string, PendingEntry>();
  }

  /** Entries of all streams that `group` has not received yet. */
  undelivered(group: string): number {
    let n = 0;
    for (const state of this.streams.values()) n += state.entries.length - (state.groups.get(group)?.nextIndex ?? 0);
    return n;
  }

  hasGroup(stream: string, group: string): boolean {
    return this.streams.get(stream)?.groups.has(group) ?? false;
  }

  group(stream: string, group: string): GroupState {
    const state = this.stream(stream);
    let g = state.groups.get(group);
    if (!g) {
      g = { nextIndex: 0, pending: new Map() };
      state.groups.set(group, g);
    }
    return g;
  }

  stream(name: string): StreamState {
    let state = this.streams.get(name);
    if (!state) {
      state = { entries: [], groups: new Map() };
      this.streams.set(name, state);
    }
    return state;
  }

  entry(stream: string, id: string): StoredEntry | undefined {
    return this.streams.get(stream)?.entries.find((e) => e.id === id);
  }

  /**
   * Deletes an entry (XDEL): true when it was there. Groups keep their place in the stream, and
   * forget the entry if it was pending (the in-process stream has no deleted entries to report).
   */
  remove(stream: string, id: string): boolean {
    const state = this.streams.get(stream);
    const index = state?.entries.findIndex((e) => e.id === id) ?? -1;
    if (!state || index < 0) return false;
    state.entries.splice(index, 1);
    for (const group of state.groups.values()) {
      if (index < group.nextIndex) group.nextIndex--;
      group.pending.delete(id);
    }
    return true;
  }

  /** Acknowledges an entry (XACK): true when it was pending. */
  ack(stream: string, group: string, id: string): boolean {
    return this.group(stream, group).pending.delete(id);
  }

  markSettled(taskId: string): void {
    this.settled.add(taskId);
  }

  isSettled(taskId: string): boolean {
    return this.settled.has(taskId);
  }

  /**
   * Takes or renews the claim on `key` for `holder` unless another holder's claim is still
   * running or the task already has an outcome (one synchronous step, like the Redis script).
   */
  claim(stream: string, key: string, holder: string, ttlMs: number): 'claimed' | 'running' | 'settled' {
    if (this.settled.has(key)) return 'settled';
    const id = leaseId(stream, key);
    const now = this.clock.now();
    const lease = this.leases.get(id);
    if (lease && lease.holder !== holder && lease.expiresAt > now) return 'running';
    this.leases.set(id, { holder, expiresAt: now + ttlMs });
    return 'claimed';
  }

  /** Extends a claim still held by `holder`. */
  renewClaim(stream: string, key: string, holder: string, ttlMs: number): void {
    const lease = this.leases.get(leaseId(stream, key));
    if (lease && lease.holder === holder) lease.expiresAt = this.clock.now() + ttlMs;
  }

  /** Drops a claim held by `holder` (another holder's claim is left alone). */
  releaseClaim(stream: string, key: string, holder: string): void {
    const id = leaseId(stream, key);
    if (this.leases.get(id)?.holder === holder) this.leases.delete(id);
  }

  /** Resolves at the next append, or when the signal aborts. */
  waitForEntries(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function leaseId(stream: string, key: string): string {
  return `${stream}\u0000${key}`;
}
