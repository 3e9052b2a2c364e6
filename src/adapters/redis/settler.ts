/**
 * Settlement: the settle script (outcome entries appended and the request acknowledged atomically,
 * the task's idempotency marker set and the delivery's leases released in the same step), written in
 * chunks; and acknowledgement without an outcome.
 *
 * Owns: the chunk of settle scripts not written yet and who waits for their replies. Who changes
 * what: only this class. Once a delivery is settled or acknowledged it tells the in-flight
 * deliveries and the claims to let it go.
 */
import { Logger } from '../../application/ports/logger.port';
import { Delivery, OutgoingEntry } from '../flunq-wire/entry-stream';
import { Claims } from './claims';
import { SourceConnections } from './connections';
import { appendEntry } from './entry-bounds';
import { InFlight } from './in-flight';
import { FlunqPipeline, scriptedPipeline } from './lua-scripts';
import { RedisStreamTaskSourceOptions } from './source-options';

export type SettlerOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'consumer' | 'settledTtlMs' | 'reclaimIdleMs'>;

/** Settle scripts written together (an explicit pipeline). */
const SETTLE_CHUNK = 16;
/** Most entry ids in one XACK of plain acknowledgements. */
const ACK_CHUNK = 100;

interface AckChunk {
  ids: string[];
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

interface SettleChunk {
  pipeline: FlunqPipeline;
  waiters: { resolve: (value: number) => void; reject: (error: unknown) => void }[];
}

export class Settler {
  /** Settle scripts not written yet (see queue). */
  private chunk: SettleChunk | undefined;
  /** Plain acknowledgements not written yet, by stream (see acknowledge). */
  private readonly acks = new Map<string, AckChunk>();

  constructor(
    private readonly options: SettlerOptions,
    private readonly connections: SourceConnections,
    private readonly claims: Claims,
    private readonly inFlight: InFlight,
    private readonly logger: Logger,
  ) {}

  /** See EntryStream.settle. A delivery handed out with a task id always settles with one (the parser falls back to it). */
  async settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void> {
    const { keys, markers } = this.claims.settleKeys(delivery, taskId);
    const args: (string | number)[] = [this.options.group, delivery.entryId, this.options.settledTtlMs, markers, entries.length];
    for (const entry of entries) appendEntry(args, entry);
    if (taskId) args.push(this.claims.holderOf(delivery));
    // Nested arrays: ioredis flattens a command's arguments once (Array#flat) after passing them
    // through several spreads; handing it two arrays instead of ~30 strings saves those copies.
    const result = await this.queue(keys, args);
    this.inFlight.release(delivery);
    this.claims.forget(delivery);
    if (result === 0) this.logger.info('task already had an outcome; acknowledged without publishing', { stream: delivery.stream, entryId: delivery.entryId });
  }

  /**
   * See EntryStream.acknowledge: XACK, or with leases the release-ack script. The plain XACKs of a
   * macrotask (mostly the executor's own completions, read back like any entry) go out as one XACK
   * per stream naming every id: Redis parses and runs one command instead of one per entry.
   */
  async acknowledge(delivery: Delivery): Promise<void> {
    const leases = this.claims.leaseKeysOf(delivery);
    const redis = this.connections.commands;
    if (leases.length === 0) await this.queueAck(delivery.stream, delivery.entryId);
    else await redis.flunqReleaseAck(1 + leases.length, delivery.stream, ...leases, this.options.group, delivery.entryId, this.claims.holderOf(delivery));
    this.inFlight.release(delivery);
    this.claims.forget(delivery);
  }

  /**
   * See EntryStream.release: XCLAIM to this consumer with the idle time set past the reclaim idle
   * time (JUSTID: the delivery count is not raised here, the next claim raises it), so that the next
   * XAUTOCLAIM of any consumer takes the entry. Its leases expire on their own or pass to the entry's
   * next delivery, which holds the same entry.
   */
  async release(delivery: Delivery): Promise<void> {
    await this.connections.commands.call('XCLAIM', delivery.stream, this.options.group, this.options.consumer, 0, delivery.entryId, 'IDLE', this.options.reclaimIdleMs + 1, 'JUSTID');
    this.inFlight.release(delivery);
    this.claims.forget(delivery);
  }

  /**
   * Settle scripts go out in chunks of SETTLE_CHUNK (the rest at the end of the macrotask), not
   * all at once: auto-pipelining would send a whole batch's scripts only after every task of it had
   * run, leaving Node idle while Redis runs them (≈ 2 ms per 100) and Redis idle before.
   */
  private queue(keys: string[], args: (string | number)[]): Promise<number> {
    // On a cluster each script goes on its own, to its stream's primary (a pipeline spans one node).
    if (this.connections.cluster) return this.connections.commands.flunqSettle(keys.length, keys, args);
    return new Promise<number>((resolve, reject) => {
      let chunk = this.chunk;
      if (!chunk) {
        chunk = this.chunk = { pipeline: scriptedPipeline(this.connections.commands), waiters: [] };
        setImmediate(() => this.flush(chunk));
      }
      chunk.pipeline.flunqSettle(keys.length, keys, args);
      chunk.waiters.push({ resolve, reject });
      if (chunk.waiters.length >= SETTLE_CHUNK) this.flush(chunk);
    });
  }

  private queueAck(stream: string, entryId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let chunk = this.acks.get(stream);
      if (!chunk) {
        this.acks.set(stream, (chunk = { ids: [], waiters: [] }));
        if (this.acks.size === 1) setImmediate(() => this.flushAcks());
      }
      chunk.ids.push(entryId);
      chunk.waiters.push({ resolve, reject });
      if (chunk.ids.length >= ACK_CHUNK) this.flushAck(stream, chunk);
    });
  }

  private flushAcks(): void {
    for (const [stream, chunk] of this.acks) this.flushAck(stream, chunk);
  }

  private flushAck(stream: string, chunk: AckChunk): void {
    this.acks.delete(stream);
    this.connections.commands.xack(stream, this.options.group, ...chunk.ids).then(
      () => {
        for (const w of chunk.waiters) w.resolve();
      },
      (error: unknown) => {
        for (const w of chunk.waiters) w.reject(error);
      },
    );
  }

  private flush(chunk: SettleChunk | undefined): void {
    if (!chunk || this.chunk !== chunk) return;
    this.chunk = undefined;
    chunk.pipeline.exec().then(
      (replies) => {
        chunk.waiters.forEach((w, i) => {
          const [error, value] = replies?.[i] ?? [new Error('no reply'), null];
          if (error) w.reject(error);
          else w.resolve(value as number);
        });
      },
      (error: unknown) => {
        for (const w of chunk.waiters) w.reject(error);
      },
    );
  }
}
