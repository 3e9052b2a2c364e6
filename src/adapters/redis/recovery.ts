/**
 * Recovery of entries already delivered to a consumer of the group but not settled: this
 * consumer's own pending entries at start-up, idle entries of other (dead) consumers (XAUTOCLAIM),
 * and entries a lost blocking read may have taken. The delivery count becomes the attempt number.
 *
 * Owns: the streams still to read for own pending entries (with the last id read) and whether that
 * was done, the XAUTOCLAIM queue (stream → cursor), the streams a lost blocking read covered, and
 * the counts of entries reclaimed and of entries found deleted while pending.
 *
 * Who changes what: the audit queues streams for reclaim, the reader marks lost reads, the facade
 * starts the own-pending pass after set-up; removed streams are dropped (stream set listener).
 */
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { Delivery } from '../flunq-wire/entry-stream';
import { SourceConnections } from './connections';
import { deliveryKey, entryKey, InFlight } from './in-flight';
import { idBefore, isConnectionError, isNoGroup, parseRead, RawEntry, toFields } from './replies';
import { RedisStreamTaskSourceOptions } from './source-options';
import { StreamSet } from './stream-set';

export type RecoveryOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'consumer' | 'batch' | 'reclaimEnabled' | 'reclaimIdleMs'>;

export class Recovery {
  /** Streams still to read for this consumer's own pending entries (start-up), with the last id read. */
  private ownPending: Map<string, string> | undefined;
  private ownPendingChecked = false;
  /** Streams with pending entries to pass through XAUTOCLAIM, with the cursor. */
  private readonly reclaimQueue = new Map<string, string>();
  /** Streams whose entries a lost blocking read may have delivered to this consumer: read back from its pending list. */
  private readonly lostReads = new Set<string>();
  private deletedCount = 0;
  private reclaimedCount = 0;

  constructor(
    private readonly options: RecoveryOptions,
    private readonly connections: SourceConnections,
    private readonly streams: StreamSet,
    private readonly inFlight: InFlight,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    streams.onRemove((stream) => {
      this.reclaimQueue.delete(stream);
      this.ownPending?.delete(stream);
    });
  }

  /** Entries found deleted while pending (trimmed streams): they are lost as work. */
  get deletedWhilePending(): number {
    return this.deletedCount;
  }

  /** Entries claimed from other (dead) consumers since start-up. */
  get reclaimedTotal(): number {
    return this.reclaimedCount;
  }

  /** A lost blocking read is to be read back. */
  get hasLostReads(): boolean {
    return this.lostReads.size > 0;
  }

  /** The start-up pass over this consumer's own pending entries is not finished. */
  get hasOwnPending(): boolean {
    return this.ownPending !== undefined;
  }

  /** Streams are queued for XAUTOCLAIM. */
  get hasReclaimWork(): boolean {
    return this.reclaimQueue.size > 0;
  }

  /** After the first set-up only: after a reconnect this consumer's pending entries are the ones still in flight. */
  startUp(): void {
    if (this.ownPendingChecked) return;
    this.ownPendingChecked = true;
    this.ownPending = new Map(this.streams.knownStreams().map((s) => [s, '0']));
  }

  /** The stream has pending entries: pass it through XAUTOCLAIM (when reclaim is enabled). */
  queueReclaim(stream: string): void {
    if (this.options.reclaimEnabled && !this.reclaimQueue.has(stream)) this.reclaimQueue.set(stream, '0-0');
  }

  /** A blocking read over `streams` was lost (connection replaced or dropped while Redis may have delivered entries to it). */
  markLost(streams: readonly string[]): void {
    for (const stream of streams) if (this.streams.isKnown(stream)) this.lostReads.add(stream);
  }

  /**
   * This consumer's pending entries on the streams of lost reads that are neither held nor carried
   * are read back at once, rather than after the reclaim idle time. XPENDING first (no side effect)
   * finds them; XREADGROUP from just before the first then reads them, so that entries still in
   * progress keep their delivery counts.
   */
  async recoverLostReads(out: Delivery[]): Promise<void> {
    if (this.lostReads.size === 0) return;
    const cmd = this.connections.commands;
    for (const stream of [...this.lostReads]) {
      const room = this.inFlight.heldCount + this.inFlight.carriedCount + this.options.batch + 100;
      let rows: [string, string, number, number][];
      try {
        rows = (await cmd.call('XPENDING', stream, this.options.group, '-', '+', room, this.options.consumer)) as typeof rows;
      } catch (error) {
        if (isConnectionError(error)) throw error;
        this.lostReads.delete(stream);
        continue;
      }
      const taken = new Set<string>([...this.inFlight.carriedKeys(), ...out.map(deliveryKey)]);
      const lost = rows.filter(([id]) => !this.inFlight.heldEntry(entryKey(stream, id)) && !taken.has(entryKey(stream, id))).map(([id]) => id);
      if (lost.length === 0) {
        this.lostReads.delete(stream);
        continue;
      }
      const ids = rows.map(([id]) => id);
      const count = ids.indexOf(lost[lost.length - 1] as string) - ids.indexOf(lost[0] as string) + 1;
      let reply: unknown;
      try {
        reply = await cmd.call('XREADGROUP', 'GROUP', this.options.group, this.options.consumer, 'COUNT', count, 'STREAMS', stream, idBefore(lost[0] as string));
      } catch (error) {
        if (isConnectionError(error)) throw error;
        reply = null;
      }
      this.lostReads.delete(stream);
      const wanted = new Set(lost);
      const entries = (parseRead(reply).get(stream) ?? []).filter((e) => wanted.has(e.id));
      if (entries.length === 0) continue;
      await this.deliver(stream, entries, out);
      this.logger.info('read back entries delivered to a lost blocking read', { stream, count: entries.length });
    }
  }

  /** Start-up: this consumer's own pending entries (XREADGROUP … 0), oldest first, paged. */
  async readOwnPending(out: Delivery[], max: number): Promise<void> {
    const queue = this.ownPending;
    if (!queue) return;
    for (const [stream, after] of queue) {
      if (out.length >= max) return;
      const count = Math.min(this.options.batch, max - out.length);
      let reply: unknown;
      try {
        reply = await this.connections.commands.call('XREADGROUP', 'GROUP', this.options.group, this.options.consumer, 'COUNT', count, 'STREAMS', stream, after);
      } catch (error) {
        if (!isNoGroup(error)) throw error;
        queue.delete(stream);
        continue;
      }
      const entries = parseRead(reply).get(stream) ?? [];
      if (entries.length < count) queue.delete(stream);
      else queue.set(stream, entries[entries.length - 1]?.id ?? after);
      if (entries.length === 0) continue;
      await this.deliver(stream, entries, out);
    }
    if (queue.size === 0) this.ownPending = undefined;
  }

  /** XAUTOCLAIM on streams with pending entries; the delivery count becomes the attempt number. */
  async reclaim(out: Delivery[], max: number): Promise<void> {
    if (this.reclaimQueue.size === 0) return;
    const strandedAfter = this.options.reclaimIdleMs * 2 + 5000;
    const before = out.length;
    for (const [stream, cursor] of this.reclaimQueue) {
      if (out.length >= max) break;
      const count = max - out.length;
      let reply: [string, [string, string[] | null][], string[]?];
      try {
        reply = (await this.connections.commands.call('XAUTOCLAIM', stream, this.options.group, this.options.consumer, this.options.reclaimIdleMs, cursor, 'COUNT', count)) as typeof reply;
      } catch (error) {
        if (isConnectionError(error)) throw error;
        this.reclaimQueue.delete(stream);
        continue;
      }
      const [next, claimed, deleted] = reply;
      if (next === '0-0') this.reclaimQueue.delete(stream);
      else this.reclaimQueue.set(stream, next);
      if (deleted && deleted.length > 0) {
        this.deletedCount += deleted.length;
        this.logger.warn('pending entries were deleted from the stream before they were processed; they are lost', { stream, count: deleted.length });
      }
      const entries: RawEntry[] = claimed.filter((e) => e !== null).map(([id, flat]) => ({ id, fields: flat ? toFields(flat) : null }));
      const now = this.clock.now();
      const fresh = entries.filter((e) => {
        const held = this.inFlight.heldEntry(entryKey(stream, e.id));
        // Our own entry still in flight (its keep-alive is late): XAUTOCLAIM just renewed it.
        return !held || now - held.touchedAt >= strandedAfter;
      });
      if (fresh.length > 0) await this.deliver(stream, fresh, out);
    }
    const claimedNow = out.length - before;
    if (claimedNow > 0) {
      this.reclaimedCount += claimedNow;
      this.metrics.reclaimed(claimedNow);
      this.logger.info('reclaimed idle entries from other consumers', { count: claimedNow });
    }
  }

  /** Entries delivered again, with their delivery counts; deleted ones are acknowledged and counted as lost. */
  private async deliver(stream: string, entries: RawEntry[], out: Delivery[]): Promise<void> {
    const counts = await this.deliveryCounts(stream, entries);
    for (const entry of entries) {
      if (!entry.fields) {
        await this.dropDeleted(stream, [entry.id]);
        continue;
      }
      out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: counts.get(entry.id) ?? 2 });
    }
  }

  /** Delivery counts of this consumer's pending entries between the first and last of `entries`. */
  private async deliveryCounts(stream: string, entries: RawEntry[]): Promise<Map<string, number>> {
    const first = entries[0]?.id ?? '-';
    const last = entries[entries.length - 1]?.id ?? '+';
    const rows = (await this.connections.commands.call('XPENDING', stream, this.options.group, first, last, entries.length, this.options.consumer)) as [string, string, number, number][];
    return new Map(rows.map((r) => [r[0], Number(r[3])]));
  }

  private async dropDeleted(stream: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.deletedCount += ids.length;
    this.logger.warn('pending entries were deleted from the stream before they were processed; they are lost', { stream, count: ids.length });
    await this.connections.commands.xack(stream, this.options.group, ...ids);
  }
}
