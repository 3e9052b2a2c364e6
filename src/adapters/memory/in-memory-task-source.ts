import { Clock } from '../../application/ports/clock.port';
import { Delivery, EntryStream, OutgoingEntry, TaskClaim } from '../flunq-wire/entry-stream';
import { outcomeTaskId } from '../flunq-wire/dead-letters';
import { WORKFLOW_STREAM_PATTERN } from '../flunq-wire/stream-keys';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/** Why a wait was ended (a ready-made reason: aborting without one builds a DOMException each time). */
const WAIT_ENDED = new Error('wait ended');

export interface InMemoryTaskSourceOptions {
  group: string;
  consumer: string;
  /** Streams to read; when absent, every stream whose name matches `pattern`. */
  streams?: readonly string[];
  pattern?: RegExp;
  /** Pending entries of other consumers idle this long are claimed (ms); 0 disables. */
  reclaimIdleMs: number;
  /** Longest wait for new entries in one receive (ms). */
  blockMs: number;
  /** How long a task claim lasts without renewal (ms); default: `reclaimIdleMs`, or for ever when that is 0. */
  leaseMs?: number;
}

/** An EntryStream over an InMemoryStreamBroker, with the consumer-group semantics of the Redis adapter. */
export class InMemoryTaskSource implements EntryStream {
  private ownPendingRead = false;
  private closed = false;
  /** Task claims taken by deliveries of this source, by delivery (for keepAlive). */
  private readonly claims = new Map<string, string>();

  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
    private readonly options: InMemoryTaskSourceOptions,
  ) {}

  async receive(max: number, signal: AbortSignal, admits?: (stream: string) => boolean): Promise<Delivery[]> {
    if (this.closed) throw new Error('task source is closed');
    let out = this.collect(max, admits);
    if (out.length > 0 || signal.aborted) return out;
    const wake = new AbortController();
    const onAbort = (): void => wake.abort(WAIT_ENDED);
    signal.addEventListener('abort', onAbort, { once: true });
    const deadline = this.clock.now() + this.options.blockMs;
    const timeout = this.clock.sleep(this.options.blockMs, wake.signal).catch(() => undefined);
    let timedOut = false;
    void timeout.then(() => (timedOut = true));
    // New entries of streams the gate refuses (the executor's own completions among them) wake
    // the wait but are not read: keep waiting until something admitted arrives or the time is up.
    do {
      await Promise.race([this.broker.waitForEntries(wake.signal), timeout]);
      // Closed while waiting: a closed source delivers nothing more (like a dropped connection).
      if (signal.aborted || this.closed) break;
      out = this.collect(max, admits);
    } while (out.length === 0 && !timedOut && this.clock.now() < deadline);
    wake.abort(WAIT_ENDED);
    signal.removeEventListener('abort', onAbort);
    return signal.aborted || this.closed ? [] : out;
  }

  settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void> {
    this.checkOpen();
    const { group } = this.options;
    // Redis applies MULTI/EXEC as one step; here one synchronous block does the same.
    if (this.broker.pending(delivery.stream, group).has(delivery.entryId)) {
      // Like the Redis script: a task that already has an outcome is only acknowledged, so a
      // reclaim race never publishes twice.
      if (taskId) this.broker.releaseClaim(delivery.stream, taskId, this.holder(delivery));
      if (taskId && this.broker.isSettled(taskId)) {
        this.broker.ack(delivery.stream, group, delivery.entryId);
        this.claims.delete(deliveryKey(delivery));
        return Promise.resolve();
      }
      for (const entry of entries) this.broker.append(delivery.stream, entry);
      if (taskId) this.broker.markSettled(taskId);
      this.broker.ack(delivery.stream, group, delivery.entryId);
    }
    this.claims.delete(deliveryKey(delivery));
    return Promise.resolve();
  }

  acknowledge(delivery: Delivery): Promise<void> {
    this.checkOpen();
    this.broker.ack(delivery.stream, this.options.group, delivery.entryId);
    this.claims.delete(deliveryKey(delivery));
    return Promise.resolve();
  }

  /** The entry stays pending, idle long enough that the next reclaim (by any consumer) takes it. */
  release(delivery: Delivery): Promise<void> {
    this.checkOpen();
    const pending = this.broker.pending(delivery.stream, this.options.group).get(delivery.entryId);
    if (pending && pending.consumer === this.options.consumer) pending.lastDeliveredAt = Number.NEGATIVE_INFINITY;
    this.claims.delete(deliveryKey(delivery));
    return Promise.resolve();
  }

  claimTask(delivery: Delivery, key: string): Promise<TaskClaim> {
    this.checkOpen();
    const claim = this.broker.claim(delivery.stream, key, this.holder(delivery), this.leaseMs());
    if (claim === 'claimed') this.claims.set(deliveryKey(delivery), key);
    return Promise.resolve(claim);
  }

  /** False when the entry is no longer this consumer's (reclaimed by another one, or settled). */
  keepAlive(delivery: Delivery): Promise<boolean> {
    this.checkOpen();
    const pending = this.broker.pending(delivery.stream, this.options.group).get(delivery.entryId);
    if (pending && pending.consumer === this.options.consumer) {
      pending.lastDeliveredAt = this.clock.now();
      const key = this.claims.get(deliveryKey(delivery));
      if (key !== undefined) this.broker.renewClaim(delivery.stream, key, this.holder(delivery), this.leaseMs());
      return Promise.resolve(true);
    }
    return Promise.resolve(false);
  }

  isReady(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /**
   * A new group reads the stream from its start, like `XGROUP CREATE … 0`: the outcomes already on
   * it (written by any executor) are recorded first, so that their requests are not run again.
   */
  private createGroup(stream: string): void {
    this.broker.group(stream, this.options.group);
    for (const entry of this.broker.entries(stream)) {
      const taskId = outcomeTaskId(entry.fields);
      if (taskId) this.broker.markSettled(taskId);
    }
  }

  /** Claims are held by the entry in its group, so a redelivery of the same entry takes them over. */
  private holder(delivery: Delivery): string {
    return `${this.options.group}\u0000${delivery.entryId}`;
  }

  private leaseMs(): number {
    const ms = this.options.leaseMs ?? this.options.reclaimIdleMs;
    return ms > 0 ? ms : Number.POSITIVE_INFINITY;
  }

  /** Like a closed connection: a closed source writes nothing (tests use this as a crash). */
  private checkOpen(): void {
    if (this.closed) throw new Error('task source is closed');
  }

  private streams(): string[] {
    if (this.options.streams) return [...this.options.streams];
    const pattern = this.options.pattern ?? WORKFLOW_STREAM_PATTERN;
    return this.broker.streamNames().filter((s) => pattern.test(s));
  }

  private collect(max: number, admits?: (stream: string) => boolean): Delivery[] {
    const out: Delivery[] = [];
    const { group, consumer, reclaimIdleMs } = this.options;
    const now = this.clock.now();
    const streams = this.streams();
    for (const stream of streams) if (!this.broker.hasGroup(stream, group)) this.createGroup(stream);
    // 1. After a restart, this consumer's own pending entries (XREADGROUP … 0).
    if (!this.ownPendingRead) {
      this.ownPendingRead = true;
      for (const stream of streams) {
        for (const [id, p] of this.broker.group(stream, group).pending) {
          if (out.length >= max) break;
          if (p.consumer !== consumer) continue;
          const entry = this.broker.entry(stream, id);
          if (!entry) continue;
          p.deliveryCount++;
          p.lastDeliveredAt = now;
          out.push({ stream, entryId: id, fields: entry.fields, deliveryCount: p.deliveryCount });
        }
      }
    }
    // 2. Entries that other consumers left idle for too long (XAUTOCLAIM).
    if (reclaimIdleMs > 0) {
      for (const stream of streams) {
        for (const [id, p] of this.broker.group(stream, group).pending) {
          if (out.length >= max) break;
          if (p.consumer === consumer || now - p.lastDeliveredAt < reclaimIdleMs) continue;
          const entry = this.broker.entry(stream, id);
          if (!entry) continue;
          p.consumer = consumer;
          p.deliveryCount++;
          p.lastDeliveredAt = now;
          out.push({ stream, entryId: id, fields: entry.fields, deliveryCount: p.deliveryCount });
        }
      }
    }
    // 3. New entries (XREADGROUP … >), only from admitted streams; without a gate, stream by stream
    // as before; with one, an equal part of `max` per stream in turn, so that one read spreads over
    // workflows (like COUNT per stream in one XREADGROUP).
    if (!admits) {
      for (const stream of streams) {
        this.readNew(stream, max - out.length, now, out);
        if (out.length >= max) break;
      }
      return out;
    }
    let open = streams.filter((stream) => this.hasNew(stream) && admits(stream));
    while (out.length < max && open.length > 0) {
      const each = Math.max(1, Math.floor((max - out.length) / open.length));
      for (const stream of open) if (out.length < max) this.readNew(stream, each, now, out);
      open = open.filter((stream) => this.hasNew(stream));
    }
    return out;
  }

  private hasNew(stream: string): boolean {
    return this.broker.group(stream, this.options.group).nextIndex < this.broker.stream(stream).entries.length;
  }

  /** Delivers up to `n` new entries of `stream` to this consumer. */
  private readNew(stream: string, n: number, now: number, out: Delivery[]): void {
    const state = this.broker.stream(stream);
    const g = this.broker.group(stream, this.options.group);
    const until = out.length + n;
    while (out.length < until && g.nextIndex < state.entries.length) {
      const entry = state.entries[g.nextIndex++];
      if (!entry) continue;
      g.pending.set(entry.id, { consumer: this.options.consumer, deliveryCount: 1, lastDeliveredAt: now });
      out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: 1 });
    }
  }
}

function deliveryKey(delivery: Delivery): string {
  return `${delivery.stream}\u0000${delivery.entryId}`;
}
