import Redis from 'ioredis';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { Delivery, OutgoingEntry, TaskClaim, TaskSource } from '../../application/ports/task-source.port';
import { idempotencyKey } from '../../domain/dead-letter-replay';
import { TASK_REQUESTED } from '../../domain/task-request';
import { Audit } from './audit';
import { SourceConnections } from './connections';
import { Discovery } from './discovery';
import { appendEntry } from './entry-bounds';
import { HistoryScan } from './history-scan';
import { deliveryKey, InFlight } from './in-flight';
import { ScriptedRedis } from './lua-scripts';
import { Recovery } from './recovery';
import { isConnectionError, isNoGroup, messageOf, parseRead, RawEntry } from './replies';
import { RedisStreamTaskSourceOptions } from './source-options';
import { StreamSet } from './stream-set';
import { leaseHolder, runningLeaseKey, settledMarkerKey } from './stream-keys';

export { DEFAULT_STREAM_PATTERN, RedisStreamTaskSourceOptions } from './source-options';

/**
 * TaskSource over Redis Streams and a consumer group (see docs/adr/0002-stream-discovery.md).
 *
 * Three connections: commands, blocking reads (finite BLOCK, watchdog), keyspace notifications.
 * Streams are read only when known to have new entries ("dirty"): notifications of XADD mark them,
 * a periodic pipelined XINFO GROUPS audit (lag, pending) catches what notifications missed, and
 * when few streams are known a blocking XREADGROUP over all of them gives instant wake-up.
 */
export class RedisStreamTaskSource implements TaskSource {
  private readonly connections: SourceConnections;
  private readonly cmd: ScriptedRedis;
  private readonly streams: StreamSet;
  private readonly inFlight = new InFlight();
  private readonly discovery: Discovery;
  private readonly history: HistoryScan;
  private readonly recovery: Recovery;
  private readonly audit: Audit;
  /** Idempotency markers read with the last batches (stream + key → marker present), see handOut. */
  private readonly settledHints = new Map<string, Promise<boolean | undefined>>();
  /** Claims taken for task requests when they were handed out (delivery → key, and CLAIM_SCRIPT code until used), see handOut. */
  private readonly prefetched = new Map<string, Prefetched>();
  /** Task leases held by deliveries handed out (delivery → lease keys), renewed by keepAlive. */
  private readonly leases = new Map<string, string[]>();
  /** Settle scripts not written yet (see queueSettle). */
  private settleChunk: SettleChunk | undefined;
  private blockWake: (() => void) | undefined;
  private healthy = false;

  constructor(
    private readonly options: RedisStreamTaskSourceOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.streams = new StreamSet(clock);
    this.connections = new SourceConnections(options, clock, logger);
    this.cmd = this.connections.commands;
    this.cmd.on('close', () => {
      this.healthy = false;
    });
    this.discovery = new Discovery(options, this.connections, this.streams, clock, logger);
    this.history = new HistoryScan(options, this.connections, this.streams, this.discovery, logger);
    this.recovery = new Recovery(options, this.connections, this.streams, this.inFlight, clock, logger, metrics);
    this.audit = new Audit(options, this.connections, this.streams, this.discovery, this.recovery, clock, metrics);
  }

  /** Entries found deleted while pending (trimmed streams): they are lost as work. */
  get deletedWhilePending(): number {
    return this.recovery.deletedWhilePending;
  }

  /** Entries claimed from other (dead) consumers since start-up. */
  get reclaimedTotal(): number {
    return this.recovery.reclaimedTotal;
  }

  /** Streams currently read. */
  get knownStreams(): readonly string[] {
    return this.streams.knownStreams();
  }

  /** Whether new entries are learnt from keyspace notifications (else: polling). */
  get usesNotifications(): boolean {
    return this.discovery.notificationsActive;
  }

  async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (this.connections.closed) throw new Error('task source is closed');
    if (max <= 0) return [];
    try {
      const out = await this.collect(max, signal);
      this.healthy = true;
      return out;
    } catch (error) {
      this.healthy = false;
      throw error;
    }
  }

  async settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void> {
    // A delivery handed out with a task id always settles with one (the parser falls back to it).
    const pre = this.prefetched.get(heldKey(delivery));
    let keys: string[];
    if (!taskId) keys = [delivery.stream];
    // The usual case (the claim taken at hand-out, under this key) without building sets.
    else if (pre && pre.key === taskId && !this.leases.has(heldKey(delivery))) keys = [delivery.stream, settledMarkerKey(delivery.stream, taskId), pre.lease];
    else keys = [delivery.stream, settledMarkerKey(delivery.stream, taskId), ...this.leaseKeysOf(delivery, taskId)];
    const args: (string | number)[] = [this.options.group, delivery.entryId, this.options.settledTtlMs, entries.length];
    for (const entry of entries) appendEntry(args, entry);
    if (taskId) args.push(pre?.holder ?? this.holderOf(delivery));
    // Nested arrays: ioredis flattens a command's arguments once (Array#flat) after passing them
    // through several spreads; handing it two arrays instead of ~30 strings saves those copies.
    const result = await this.queueSettle(keys, args);
    this.inFlight.release(delivery);
    this.leases.delete(heldKey(delivery));
    this.forgetHint(delivery);
    if (result === 0) this.logger.info('task already had an outcome; acknowledged without publishing', { stream: delivery.stream, entryId: delivery.entryId });
  }

  async acknowledge(delivery: Delivery): Promise<void> {
    const leases = this.leaseKeysOf(delivery);
    if (leases.length === 0) await this.cmd.xack(delivery.stream, this.options.group, delivery.entryId);
    else {
      const redis = this.cmd as unknown as { flunqReleaseAck(numKeys: number, ...args: string[]): Promise<number> };
      await redis.flunqReleaseAck(1 + leases.length, delivery.stream, ...leases, this.options.group, delivery.entryId, this.holderOf(delivery));
    }
    this.inFlight.release(delivery);
    this.leases.delete(heldKey(delivery));
    this.forgetHint(delivery);
  }

  /**
   * Settle scripts go out in chunks of SETTLE_CHUNK (the rest at the end of the macrotask), not
   * all at once: auto-pipelining would send a whole batch's scripts only after every task of it had
   * run, leaving Node idle while Redis runs them (≈ 2 ms per 100) and Redis idle before.
   */
  private queueSettle(keys: string[], args: (string | number)[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let chunk = this.settleChunk;
      if (!chunk) {
        chunk = this.settleChunk = { pipeline: this.cmd.pipeline() as unknown as SettlePipeline, waiters: [] };
        setImmediate(() => this.flushSettles(chunk));
      }
      chunk.pipeline.flunqSettle(keys.length, keys, args);
      chunk.waiters.push({ resolve, reject });
      if (chunk.waiters.length >= SETTLE_CHUNK) this.flushSettles(chunk);
    });
  }

  private flushSettles(chunk: SettleChunk | undefined): void {
    if (!chunk || this.settleChunk !== chunk) return;
    this.settleChunk = undefined;
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

  /** Hints not consumed by isSettled (unparseable requests, duplicates) go with their delivery. */
  private forgetHint(delivery: Delivery): void {
    this.prefetched.delete(heldKey(delivery));
    if (this.settledHints.size === 0) return;
    const taskId = delivery.fields['taskid'];
    if (taskId) this.settledHints.delete(hintKey(delivery.stream, idempotencyKey(taskId, delivery.fields)));
  }

  /**
   * The Redis marker lives next to the stream (same Cluster slot), so the stream is needed to
   * find it: given explicitly, or taken from the in-flight delivery that carries this task id.
   */
  async isSettled(taskId: string, stream?: string): Promise<boolean> {
    if (stream !== undefined) {
      const hint = this.settledHints.get(hintKey(stream, taskId));
      if (hint !== undefined) {
        this.settledHints.delete(hintKey(stream, taskId));
        const settled = await hint;
        if (settled !== undefined) return settled;
      }
    }
    const keys = new Set<string>();
    if (stream) keys.add(stream);
    else for (const s of this.inFlight.streamsOfTask(taskId)) keys.add(s);
    for (const key of keys) if ((await this.cmd.exists(settledMarkerKey(key, taskId))) === 1) return true;
    return false;
  }

  /**
   * CLAIM_SCRIPT: the lease names the entry, so the same entry delivered again takes it over.
   * Task requests are claimed when they are handed out, in one script call per stream and batch
   * (no round trip of its own per task): the first claimTask of a delivery answers from that claim
   * when the key is the same and the answer cannot have changed since (`claimed`: the lease is this
   * entry's; `settled`); `running` is asked again, since its holder may have settled or died.
   * A claim that its delivery does not use is released when the delivery is settled or acknowledged.
   */
  async claimTask(delivery: Delivery, key: string): Promise<TaskClaim> {
    const pre = this.prefetched.get(heldKey(delivery));
    const preCode = pre?.code ? await pre.code : undefined;
    if (pre) pre.code = undefined;
    // Noted only when another key is claimed too (settle and keepAlive know the prefetched lease).
    if (pre && preCode === 1 && pre.key !== key) this.addLease(delivery, pre.lease);
    let code = pre?.key === key && (preCode === 1 || preCode === 2) ? preCode : undefined;
    if (code === 1) return 'claimed';
    if (code === undefined) {
      const redis = this.cmd as unknown as { flunqClaim(numKeys: number, ...args: (string | number)[]): Promise<number[]> };
      code = (await redis.flunqClaim(2, runningLeaseKey(delivery.stream, key), settledMarkerKey(delivery.stream, key), this.options.leaseMs, this.holderOf(delivery)))[0];
    }
    if (code === 2) return 'settled';
    if (code !== 1) return 'running';
    this.addLease(delivery, runningLeaseKey(delivery.stream, key));
    return 'claimed';
  }

  private holderOf(delivery: Delivery): string {
    return leaseHolder(this.options.group, delivery.stream, delivery.entryId);
  }

  private addLease(delivery: Delivery, lease: string): void {
    const held = this.leases.get(heldKey(delivery));
    if (!held) this.leases.set(heldKey(delivery), [lease]);
    else if (!held.includes(lease)) held.push(lease);
  }

  /** Leases the delivery may hold: claimed by it, taken for it when it was handed out, or the one of `taskId`. */
  private leaseKeysOf(delivery: Delivery, taskId?: string): string[] {
    const keys = new Set(this.leases.get(heldKey(delivery)));
    const pre = this.prefetched.get(heldKey(delivery));
    if (pre) keys.add(pre.lease);
    if (taskId) keys.add(runningLeaseKey(delivery.stream, taskId));
    return [...keys];
  }

  /** Renews the entry only while this consumer owns it; false (and a warning) when it is no longer ours. */
  async keepAlive(delivery: Delivery): Promise<boolean> {
    const owned = await this.renew(delivery);
    if (owned) this.inFlight.touch(delivery, this.clock.now());
    return owned;
  }

  isReady(): boolean {
    return !this.connections.closed && this.healthy && this.cmd.status === 'ready' && !this.discovery.setupNeeded;
  }

  async close(): Promise<void> {
    if (this.connections.closed) return;
    this.streams.wake();
    await this.connections.close();
  }

  // ---------------------------------------------------------------------------------------------

  private async collect(max: number, signal: AbortSignal): Promise<Delivery[]> {
    await this.ensureSetUp();
    const out: Delivery[] = await this.takeCarried(max);
    if (out.length < max) await this.recovery.recoverLostReads(out);
    if (out.length < max) await this.recovery.readOwnPending(out, max);
    if (this.clock.now() >= this.audit.dueAt) await this.audit.step();
    if (out.length < max) await this.recovery.reclaim(out, max);
    await this.discovery.step();
    if (this.history.pending) await this.history.scan();
    if (out.length < max) await this.readDirty(out, max);
    if (out.length > 0 || signal.aborted || this.connections.closed) return this.handOut(out, max);

    // Nothing to do: wait for new entries, at most the block time.
    const known = this.streams.knownCount;
    if (known > 0 && !this.connections.blockingBusy && !this.history.pending && (known <= this.options.streamsPerRead || !this.discovery.notificationsActive)) {
      const streams = this.streams.firstKnown(this.options.streamsPerRead);
      await this.blockingRead(streams, max, signal, out);
    } else {
      await this.waitForNotification(signal);
    }
    if (out.length === 0 && !signal.aborted && !this.connections.closed) {
      await this.recovery.recoverLostReads(out);
      await this.discovery.step();
      await this.readDirty(out, max);
    }
    return this.handOut(out, max);
  }

  /** After start-up or a reconnect: discovery and groups, then own pending entries (once) and a new audit pass. */
  private async ensureSetUp(): Promise<void> {
    if (!this.discovery.setupNeeded) return;
    await this.discovery.setUp();
    this.recovery.startUp();
    this.audit.restart();
    this.logger.info('redis stream source ready', {
      streams: this.streams.knownCount,
      notifications: this.discovery.notificationsActive,
      group: this.options.group,
      consumer: this.options.consumer,
    });
  }

  /**
   * One CLAIM_SCRIPT call per stream for the task requests just read (their idempotency markers
   * and their claims, see claimTask), so that neither `isSettled` nor `claimTask` needs a round
   * trip of its own per task. Markers set after this point are still caught: the settle script
   * checks the marker again, atomically, before publishing.
   */
  private handOut(out: Delivery[], max: number): Delivery[] {
    const handed = this.inFlight.hand(out, max, this.clock.now());
    const byStream = new Map<string, { delivery: Delivery; key: string }[]>();
    for (const d of handed) {
      const taskId = d.fields['taskid'];
      if (!taskId || d.fields['type'] !== TASK_REQUESTED) continue;
      let tasks = byStream.get(d.stream);
      if (!tasks) byStream.set(d.stream, (tasks = []));
      tasks.push({ delivery: d, key: idempotencyKey(taskId, d.fields) });
    }
    // Not awaited: the deliveries are handed out at once and parsing overlaps the round trip;
    // isSettled and claimTask wait for the answer. A failed call leaves no answer (undefined): ask again.
    for (const [stream, tasks] of byStream) {
      const args: (string | number)[] = [tasks.length * 2];
      for (const { key } of tasks) args.push(runningLeaseKey(stream, key), settledMarkerKey(stream, key));
      args.push(this.options.leaseMs);
      const holders = tasks.map(({ delivery }) => this.holderOf(delivery));
      args.push(...holders);
      // An explicit one-command pipeline is written at once; an auto-pipelined call would wait for the
      // end of this macrotask (setImmediate), i.e. until every delivery of the batch was parsed.
      const pipeline = this.cmd.pipeline() as unknown as ClaimPipeline;
      const codes = pipeline
        .flunqClaim(...args)
        .exec()
        .then(
          (replies) => {
            const [error, reply] = replies?.[0] ?? [new Error('no reply'), null];
            return error ? undefined : (reply as number[]);
          },
          () => undefined,
        );
      tasks.forEach(({ delivery, key }, i) => {
        const code = codes.then((c) => c?.[i]);
        this.prefetched.set(heldKey(delivery), { key, lease: args[2 * i + 1] as string, holder: holders[i] as string, code });
        this.settledHints.set(hintKey(stream, key), code.then((c) => (c === undefined ? undefined : c === 2)));
      });
    }
    return handed;
  }

  /** Carried-over deliveries, up to `max`; one that waited long is handed out only if it is still ours. */
  private async takeCarried(max: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    while (out.length < max) {
      const carried = this.inFlight.takeCarried();
      if (!carried) break;
      const { delivery, at } = carried;
      if (this.clock.now() - at >= this.options.reclaimIdleMs / 2 && !(await this.renew(delivery))) continue;
      out.push(delivery);
    }
    return out;
  }

  /** Resets the idle time of a pending entry if this consumer still owns it, and renews its task lease (KEEP_ALIVE_SCRIPT). */
  private async renew(delivery: Delivery): Promise<boolean> {
    const redis = this.cmd as unknown as { flunqKeepAlive(numKeys: number, ...args: (string | number)[]): Promise<number> };
    // Only the holder's leases are renewed (the script compares the holder), so all candidates are passed.
    const leases = this.leaseKeysOf(delivery);
    const result =
      leases.length > 0
        ? await redis.flunqKeepAlive(1 + leases.length, delivery.stream, ...leases, this.options.group, this.options.consumer, delivery.entryId, this.holderOf(delivery), this.options.leaseMs)
        : await redis.flunqKeepAlive(1, delivery.stream, this.options.group, this.options.consumer, delivery.entryId);
    if (result === 1) return true;
    if (result === -1) this.logger.warn('an entry in progress was reclaimed by another consumer; it may run twice', { stream: delivery.stream, entryId: delivery.entryId });
    else this.logger.info('an entry in progress is no longer pending (already settled)', { stream: delivery.stream, entryId: delivery.entryId });
    return false;
  }

  /**
   * Non-blocking XREADGROUP `>` over dirty streams, a bounded group at a time. COUNT per stream
   * is chosen so that one call can never return more than `max` entries in all.
   */
  private async readDirty(out: Delivery[], max: number): Promise<void> {
    let rounds = Math.ceil(this.streams.dirtyCount / this.options.streamsPerRead) + 1;
    while (out.length < max && this.streams.dirtyCount > 0 && rounds-- > 0) {
      const room = max - out.length;
      const take = Math.min(this.options.streamsPerRead, room, this.streams.dirtyCount);
      const streams = this.streams.takeDirty(take);
      const count = Math.max(1, Math.min(this.options.batch, Math.floor(room / streams.length)));
      const got = await this.read(this.cmd, streams, count, undefined);
      for (const s of streams) if ((got.get(s)?.length ?? 0) >= count) this.streams.markDirty(s);
      this.push(got, out);
    }
  }

  /** The read on the blocking connection, with a watchdog that replaces a wedged connection. */
  private async blockingRead(streams: string[], max: number, signal: AbortSignal, out: Delivery[]): Promise<void> {
    const count = Math.max(1, Math.min(this.options.batch, Math.floor(max / streams.length)));
    const connection = this.connections.blocking;
    if (connection.status !== 'ready') {
      await this.waitForNotification(signal, Math.min(this.options.blockMs, 200));
      return;
    }
    const read = this.read(connection, streams, count, this.options.blockMs);
    const covered = new Set(streams);
    this.streams.cover(covered);
    const wake = this.blockWake ?? (this.blockWake = () => this.connections.endBlockingWait());
    if (this.discovery.notificationsActive) this.streams.addWaiter(wake);
    const outcome = await this.connections.waitForBlockingRead(read, signal, () => this.streams.uncover(covered));
    this.streams.removeWaiter(wake);
    if (outcome.kind === 'read') {
      // A stream that filled its COUNT may have more (its notifications were ignored meanwhile).
      for (const [stream, entries] of outcome.got) if (entries.length >= count) this.streams.markDirty(stream);
      this.push(outcome.got, out);
      return;
    }
    if (outcome.kind === 'error') {
      // The connection dropped: entries the read took are pending for this consumer, their reply lost.
      if (isConnectionError(outcome.error)) this.recovery.markLost(streams);
      throw outcome.error;
    }
    if (outcome.kind === 'timeout') {
      // The connection was replaced: entries the read took are pending for this consumer.
      this.recovery.markLost(streams);
      return;
    }
    // Aborted (stopping) or woken by a notification: whatever the read still returns is ours and stays pending; hand it
    // out with the next receive() (or after a restart, as own pending entries).
    read.then(
      (got) => {
        const later: Delivery[] = [];
        this.push(got, later);
        this.inFlight.carry(later, this.clock.now());
        if (later.length > 0) this.streams.wake();
      },
      (error: unknown) => {
        if (isConnectionError(error)) this.recovery.markLost(streams);
      },
    );
  }

  /** XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS k… > …; recreates groups lost with a Redis restart. */
  private async read(connection: Redis, streams: string[], count: number, blockMs: number | undefined): Promise<Map<string, RawEntry[]>> {
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

  private push(got: Map<string, RawEntry[]>, out: Delivery[]): void {
    for (const [stream, entries] of got) {
      for (const entry of entries) {
        if (entry.fields) out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: 1 });
      }
    }
  }

  /** Waits for a notification (new stream or entry), the signal, the block time, or the next audit or scan. */
  private async waitForNotification(signal: AbortSignal, ms = this.options.blockMs): Promise<void> {
    const now = this.clock.now();
    await this.streams.waitForWork(signal, Math.min(ms, this.audit.dueAt - now, this.discovery.scanDueIn(now)));
  }
}

/** Settle scripts written together (an explicit pipeline) and who waits for their replies. */
const SETTLE_CHUNK = 16;
interface SettlePipeline {
  flunqSettle(numKeys: number, keys: string[], args: (string | number)[]): SettlePipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}
interface SettleChunk {
  pipeline: SettlePipeline;
  waiters: { resolve: (value: number) => void; reject: (error: unknown) => void }[];
}

/** A claim taken for a task request when it was handed out (see handOut and claimTask). */
interface Prefetched {
  key: string;
  lease: string;
  holder: string;
  /** CLAIM_SCRIPT's code for it (undefined: the call failed), until claimTask has used it. */
  code: Promise<number | undefined> | undefined;
}

/** The claim script on a pipeline (ioredis defineCommand, number of keys first). */
interface ClaimPipeline {
  flunqClaim(...args: (string | number)[]): ClaimPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

function hintKey(stream: string, key: string): string {
  return `${stream}\u0000${key}`;
}

const heldKey = deliveryKey;
