/**
 * Reads new entries (XREADGROUP `>`): non-blocking over dirty streams, or one blocking read over
 * the first known streams when there is nothing else to do.
 *
 * Owns no state between calls beyond its settings: what to read comes from the stream set (dirty
 * streams taken, and marked again when a read filled its COUNT), the blocking connection and the
 * wait for it belong to the connections, a lost blocking read is reported to recovery, and entries
 * a blocking read returns after its receive() ended are carried in the in-flight deliveries.
 */
import { Clock } from '../../application/ports/clock.port';
import { Delivery } from '../flunq-wire/entry-stream';
import { SourceConnections } from './connections';
import { Discovery } from './discovery';
import { InFlight } from './in-flight';
import { Recovery } from './recovery';
import { RedisClient } from './redis-connection';
import { isConnectionError, isNoGroup, messageOf, parseRead, RawEntry } from './replies';
import { RedisStreamTaskSourceOptions } from './source-options';
import { StreamSet } from './stream-set';
import { bySlot } from './stream-keys';

export type ReaderOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'consumer' | 'batch' | 'blockMs' | 'streamsPerRead'>;

export class Reader {
  constructor(
    private readonly options: ReaderOptions,
    private readonly connections: SourceConnections,
    private readonly streams: StreamSet,
    private readonly discovery: Discovery,
    private readonly recovery: Recovery,
    private readonly inFlight: InFlight,
    private readonly clock: Clock,
  ) {}

  /**
   * Non-blocking XREADGROUP `>` over dirty streams, a bounded group at a time. COUNT per stream
   * is chosen so that one call can never return more than `max` entries in all. With `admits`, only
   * the dirty streams it admits are read; the others stay dirty until it admits them.
   */
  async readDirty(out: Delivery[], max: number, admits?: (stream: string) => boolean): Promise<void> {
    let dirty = this.streams.admittedDirtyCount(admits);
    let rounds = Math.ceil(dirty / this.options.streamsPerRead) + 1;
    while (out.length < max && dirty > 0 && rounds-- > 0) {
      const room = max - out.length;
      const take = Math.min(this.options.streamsPerRead, room, dirty);
      const streams = this.streams.takeDirty(take, admits);
      if (streams.length === 0) break;
      const count = Math.max(1, Math.min(this.options.batch, Math.floor(room / streams.length)));
      const got = await this.read(this.connections.commands, streams, count, undefined);
      for (const s of streams) if ((got.get(s)?.length ?? 0) >= count) this.streams.markDirty(s);
      push(got, out);
      dirty = this.streams.admittedDirtyCount(admits);
    }
  }

  /**
   * One blocking read over `streams` into `out`, ended early by `signal`, by a notification when
   * notifications work, or by the watchdog. False (and nothing read) when the blocking connection
   * is not ready. With `admits`, a notification ends the wait only for work it admits.
   */
  async blockingRead(streams: string[], max: number, signal: AbortSignal, out: Delivery[], admits?: (stream: string) => boolean): Promise<boolean> {
    const count = Math.max(1, Math.min(this.options.batch, Math.floor(max / streams.length)));
    const connection = this.connections.blocking;
    if (connection.status !== 'ready') return false;
    const read = this.read(connection, streams, count, this.options.blockMs);
    const covered = new Set(streams);
    this.streams.cover(covered);
    // The stream-set waiter that ends the wait for a blocking read (a notification has work elsewhere).
    const endWait = (): void => {
      if (this.streams.endsGatedWait(admits)) this.connections.endBlockingWait();
      else this.streams.addWaiter(endWait);
    };
    if (this.discovery.notificationsActive) this.streams.addWaiter(endWait);
    const outcome = await this.connections.waitForBlockingRead(read, signal, () => this.streams.uncover(covered));
    this.streams.removeWaiter(endWait);
    if (outcome.kind === 'read') {
      // A stream that filled its COUNT may have more (its notifications were ignored meanwhile).
      for (const [stream, entries] of outcome.got) if (entries.length >= count) this.streams.markDirty(stream);
      push(outcome.got, out);
      return true;
    }
    if (outcome.kind === 'error') {
      // The connection dropped: entries the read took are pending for this consumer, their reply lost.
      if (isConnectionError(outcome.error)) this.recovery.markLost(streams);
      throw outcome.error;
    }
    if (outcome.kind === 'timeout') {
      // The connection was replaced: entries the read took are pending for this consumer.
      this.recovery.markLost(streams);
      return true;
    }
    // Aborted (stopping) or woken by a notification: whatever the read still returns is ours and
    // stays pending; hand it out with the next receive() (or after a restart, as own pending entries).
    read.then(
      (got) => {
        const later: Delivery[] = [];
        push(got, later);
        this.inFlight.carry(later, this.clock.now());
        if (later.length > 0) this.streams.wakeAll();
      },
      (error: unknown) => {
        if (isConnectionError(error)) this.recovery.markLost(streams);
      },
    );
    return true;
  }

  /**
   * One non-blocking read per slot, concurrently. When a primary fails (a failover), what the others
   * delivered is carried to the next receive() (it is pending for this consumer already), its streams
   * stay dirty, and the error is thrown so that the loop backs off.
   */
  private async readPerSlot(connection: RedisClient, streams: string[], count: number): Promise<Map<string, RawEntry[]>> {
    const groups = bySlot(streams);
    const reads = await Promise.allSettled(groups.map((group) => this.read(connection, group, count, undefined)));
    const out = new Map<string, RawEntry[]>();
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i] as PromiseSettledResult<Map<string, RawEntry[]>>;
      if (read.status === 'fulfilled') for (const [stream, entries] of read.value) out.set(stream, entries);
      else {
        failure ??= { error: read.reason };
        for (const stream of groups[i] ?? []) this.streams.markDirty(stream);
      }
    }
    if (failure === undefined) return out;
    const later: Delivery[] = [];
    push(out, later);
    this.inFlight.carry(later, this.clock.now());
    throw failure.error;
  }

  /** XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS k… > …; recreates groups lost with a Redis restart. */
  private async read(connection: RedisClient, streams: string[], count: number, blockMs: number | undefined): Promise<Map<string, RawEntry[]>> {
    // A cluster serves one XREADGROUP from one slot: the streams are read per slot.
    if (this.connections.cluster && streams.length > 1) return this.readPerSlot(connection, streams, count);
    const args: (string | number)[] = ['GROUP', this.options.group, this.options.consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', Math.max(1, blockMs));
    args.push('STREAMS', ...streams, ...streams.map(() => '>'));
    try {
      return parseRead(await connection.call('XREADGROUP', ...args));
    } catch (error) {
      if (!isNoGroup(error) && !messageOf(error).includes('WRONGTYPE')) throw error;
      await this.discovery.recheck(streams, error);
      return new Map();
    }
  }
}

/** New entries (delivered for the first time); entries deleted meanwhile have no fields and are skipped. */
function push(got: Map<string, RawEntry[]>, out: Delivery[]): void {
  for (const [stream, entries] of got) {
    for (const entry of entries) {
      if (entry.fields) out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: 1 });
    }
  }
}
