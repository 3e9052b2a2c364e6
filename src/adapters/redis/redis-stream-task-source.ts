import Redis from 'ioredis';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { Delivery, OutgoingEntry, TaskClaim, TaskSource } from '../../application/ports/task-source.port';
import { createConnection, RedisConnectionSettings } from './redis-connection';
import { idempotencyKey } from '../../domain/dead-letter-replay';
import { TASK_REQUESTED } from '../../domain/task-request';
import { appendEntry } from './entry-bounds';
import { defineScripts } from './lua-scripts';
import { deliveryKey, entryKey, InFlight } from './in-flight';
import { StreamSet } from './stream-set';
import { globToRegExp, historyScanKey, leaseHolder, runningLeaseKey, settledMarkerKey } from './stream-keys';

export interface RedisStreamTaskSourceOptions extends RedisConnectionSettings {
  group: string;
  consumer: string;
  /** Fixed streams (EXECUTOR_STREAMS); when empty, streams matching `pattern` are discovered. */
  streams: readonly string[];
  /** Redis glob of the streams to discover (default `tenant:*:workflow:*:events`). */
  pattern: string;
  /** XREADGROUP COUNT per stream (EXECUTOR_STREAM_BATCH). */
  batch: number;
  /** XREADGROUP BLOCK, ms (EXECUTOR_STREAM_BLOCK). */
  blockMs: number;
  /** Streams named in one XREADGROUP (EXECUTOR_STREAMS_PER_READ). */
  streamsPerRead: number;
  reclaimEnabled: boolean;
  reclaimIdleMs: number;
  /** Period of the reclaim and lag/pending audit pass, ms. */
  reclaimIntervalMs: number;
  /** Learn new streams and new entries from keyspace notifications (EXECUTOR_KEYSPACE_NOTIFICATIONS). */
  keyspaceNotifications: boolean;
  /** Period of the background incremental SCAN when notifications work, ms (EXECUTOR_RESCAN_INTERVAL). */
  rescanIntervalMs: number;
  /** TTL of the idempotency markers, ms; 0 keeps them for ever (EXECUTOR_SETTLED_TTL). */
  settledTtlMs: number;
  /** How long a task claim lasts without renewal, ms (about the reclaim idle time; longer than the keep-alive period). */
  leaseMs: number;
  /**
   * How long a blocking read may go past its block time with no reply data arriving before its
   * connection counts as wedged, ms (default: the block time, at least 1 s).
   */
  watchdogMarginMs?: number;
}

export const DEFAULT_STREAM_PATTERN = 'tenant:*:workflow:*:events';
/** Without notifications, discovery and the lag audit run this often (ms). */
const FALLBACK_POLL_MS = 1000;
const SCAN_COUNT = 1000;
/** Streams per audit step: a few ms of Redis work, so reads are never held up for long. */
const AUDIT_CHUNK = 250;
/** History scan (new group): entries per XRANGE; per receive() at most HISTORY_BUDGET entries (an XRANGE costs ≥ HISTORY_MIN_COST), streams pipelined HISTORY_STREAMS_PER_ROUND at a time. */
const HISTORY_CHUNK = 1000;
const HISTORY_BUDGET = 5000;
const HISTORY_MIN_COST = 100;
const HISTORY_STREAMS_PER_ROUND = 50;
const OUTCOME_TYPES = new Set(['io.flunq.task.completed', 'io.flunq.task.dlq']);

type Fields = Record<string, string>;
interface RawEntry {
  id: string;
  fields: Fields | null;
}

/**
 * TaskSource over Redis Streams and a consumer group (see docs/adr/0002-stream-discovery.md).
 *
 * Three connections: commands, blocking reads (finite BLOCK, watchdog), keyspace notifications.
 * Streams are read only when known to have new entries ("dirty"): notifications of XADD mark them,
 * a periodic pipelined XINFO GROUPS audit (lag, pending) catches what notifications missed, and
 * when few streams are known a blocking XREADGROUP over all of them gives instant wake-up.
 */
export class RedisStreamTaskSource implements TaskSource {
  private readonly cmd: Redis;
  private block: Redis;
  private readonly sub: Redis | undefined;
  private readonly patternRe: RegExp;
  private readonly fixed: boolean;

  private readonly streams: StreamSet;
  private readonly inFlight = new InFlight();
  /** Streams still to read for this consumer's own pending entries (start-up), with the last id read. */
  private ownPending: Map<string, string> | undefined;
  /** Streams with pending entries to pass through XAUTOCLAIM, with the cursor. */
  private readonly reclaimQueue = new Map<string, string>();
  /** Next XRANGE start of the streams held for a history scan (absent: from the start). */
  private readonly historyCursors = new Map<string, string>();
  /** Idempotency markers read with the last batches (stream + key → marker present), see handOut. */
  private readonly settledHints = new Map<string, Promise<boolean | undefined>>();
  /** Claims taken for task requests when they were handed out (delivery → key, and CLAIM_SCRIPT code until used), see handOut. */
  private readonly prefetched = new Map<string, Prefetched>();
  /** Task leases held by deliveries handed out (delivery → lease keys), renewed by keepAlive. */
  private readonly leases = new Map<string, string[]>();
  /** Settle scripts not written yet (see queueSettle). */
  private settleChunk: SettleChunk | undefined;

  private setupNeeded = true;
  private ownPendingChecked = false;
  private blockInFlight: Promise<unknown> | undefined;
  /** notify-keyspace-events has the flags we need. */
  private notifyConfigured = false;
  /** The notification connection is subscribed to the XADD channel. */
  private subscribed = false;
  private subscribing: Promise<void> | undefined;
  private scanCursor: string | undefined;
  private nextScanAt = 0;
  private nextAuditAt = 0;
  /** The audit pass in progress (see audit). */
  private auditCursor: { streams: string[]; index: number; pending: number; lag: number } | undefined;
  /** Ends the blocking read being awaited (read, error, stop signal, notification, watchdog). */
  private blockEnd: ((outcome: BlockOutcome) => void) | undefined;
  private blockWake: (() => void) | undefined;
  /** When the awaited blocking read counts as hung unless reply data keeps arriving (epoch ms); 0 when none is awaited. */
  private blockDeadline = 0;
  /** When bytes last arrived on the blocking connection (epoch ms): a reply in progress is not a hung read. */
  private blockDataAt = 0;
  /** Streams whose entries a lost blocking read may have delivered to this consumer: read back from its pending list. */
  private readonly lostReads = new Set<string>();
  private watchdogArmed = false;
  private readonly watchedSignals = new WeakSet<AbortSignal>();
  /** Aborted by close(): cancels the watchdog's timer. */
  private readonly lifetime = new AbortController();
  private healthy = false;
  private closed = false;
  private blockGeneration = 0;
  private deletedCount = 0;
  private reclaimedCount = 0;

  constructor(
    private readonly options: RedisStreamTaskSourceOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.patternRe = globToRegExp(options.pattern || DEFAULT_STREAM_PATTERN);
    this.fixed = options.streams.length > 0;
    this.streams = new StreamSet(clock);
    this.streams.onRemove((stream) => {
      this.reclaimQueue.delete(stream);
      this.historyCursors.delete(stream);
      this.ownPending?.delete(stream);
    });
    this.cmd = defineScripts(createConnection(options, 'commands', logger));
    this.cmd.on('ready', () => {
      // After any (re)connect: Redis may have restarted (config reset, keys and groups gone).
      this.setupNeeded = true;
    });
    this.cmd.on('close', () => {
      this.healthy = false;
    });
    this.block = this.newBlockingConnection();
    if (options.keyspaceNotifications) {
      this.sub = createConnection(options, 'notifications', logger);
      this.sub.on('message', (_channel: string, key: string) => this.onNotification(key));
      this.sub.on('ready', () => {
        // Notifications sent while disconnected are lost: audit soon.
        this.nextAuditAt = 0;
        void this.subscribe();
      });
      this.sub.on('close', () => {
        this.subscribed = false;
      });
      void this.subscribe();
    }
  }

  /** Entries found deleted while pending (trimmed streams): they are lost as work. */
  get deletedWhilePending(): number {
    return this.deletedCount;
  }

  /** Entries claimed from other (dead) consumers since start-up. */
  get reclaimedTotal(): number {
    return this.reclaimedCount;
  }

  /** Streams currently read. */
  get knownStreams(): readonly string[] {
    return this.streams.knownStreams();
  }

  /** Whether new entries are learnt from keyspace notifications (else: polling). */
  get usesNotifications(): boolean {
    return this.notificationsActive;
  }

  async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (this.closed) throw new Error('task source is closed');
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
    return !this.closed && this.healthy && this.cmd.status === 'ready' && !this.setupNeeded;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort(WAIT_ENDED);
    this.blockEnd?.(ABORTED);
    this.streams.wake();
    // A blocking read may be in progress: drop that connection rather than wait for it.
    this.block.disconnect();
    if (this.sub) await quit(this.sub);
    await quit(this.cmd);
  }

  // ---------------------------------------------------------------------------------------------

  private async collect(max: number, signal: AbortSignal): Promise<Delivery[]> {
    await this.ensureSetUp();
    const out: Delivery[] = await this.takeCarried(max);
    if (out.length < max && this.lostReads.size > 0) await this.recoverLostReads(out);
    if (out.length < max && this.ownPending) await this.readOwnPending(out, max);
    const now = this.clock.now();
    if (now >= this.nextAuditAt) await this.audit();
    if (out.length < max && this.reclaimQueue.size > 0) await this.reclaim(out, max);
    await this.discoverStep();
    if (this.streams.heldForHistoryCount > 0) await this.scanHistory();
    if (out.length < max) await this.readDirty(out, max);
    if (out.length > 0 || signal.aborted || this.closed) return this.handOut(out, max);

    // Nothing to do: wait for new entries, at most the block time.
    const known = this.streams.knownCount;
    if (known > 0 && !this.blockInFlight && this.streams.heldForHistoryCount === 0 && (known <= this.options.streamsPerRead || !this.notificationsActive)) {
      const streams = this.streams.firstKnown(this.options.streamsPerRead);
      await this.blockingRead(streams, max, signal, out);
    } else {
      await this.waitForNotification(signal);
    }
    if (out.length === 0 && !signal.aborted && !this.closed) {
      if (this.lostReads.size > 0) await this.recoverLostReads(out);
      await this.discoverStep();
      await this.readDirty(out, max);
    }
    return this.handOut(out, max);
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

  /** Notification config, stream discovery and group creation after start-up or a reconnect. */
  private async ensureSetUp(): Promise<void> {
    if (!this.setupNeeded) return;
    if (this.cmd.status !== 'ready') await waitForReady(this.cmd, Math.max(1000, this.options.blockMs));
    if (this.cmd.status !== 'ready') throw new Error(`redis is not connected (${this.cmd.status})`);
    await this.configureNotifications();
    if (this.fixed) {
      for (const stream of this.options.streams) await this.createGroup(stream, true);
    } else {
      this.streams.clearRejected();
      let cursor = '0';
      do {
        cursor = await this.scanStep(cursor);
      } while (cursor !== '0');
      this.nextScanAt = this.clock.now() + this.rescanPeriod();
    }
    this.streams.markAllDirty();
    if (!this.ownPendingChecked) {
      // Only at start-up: after a reconnect our pending entries are the ones still in flight.
      this.ownPendingChecked = true;
      this.ownPending = new Map(this.streams.knownStreams().map((s) => [s, '0']));
    }
    this.nextAuditAt = 0;
    this.auditCursor = undefined;
    this.setupNeeded = false;
    this.logger.info('redis stream source ready', {
      streams: this.streams.knownCount,
      notifications: this.notificationsActive,
      group: this.options.group,
      consumer: this.options.consumer,
    });
  }

  private async configureNotifications(): Promise<void> {
    if (!this.sub) {
      this.notifyConfigured = false;
      return;
    }
    if (!this.subscribed && this.sub.status === 'ready') await this.subscribe();
    try {
      const reply = (await this.cmd.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
      const flags = reply[1] ?? '';
      const hasType = flags.includes('t') || flags.includes('A');
      if (!flags.includes('E') || !hasType) {
        // Add only what is missing; never drop flags set for other consumers of notifications.
        const next = flags + (flags.includes('E') ? '' : 'E') + (hasType ? '' : 't');
        await this.cmd.call('CONFIG', 'SET', 'notify-keyspace-events', next);
        this.logger.info('enabled keyspace notifications for stream events', { flags: next });
      }
      this.notifyConfigured = true;
    } catch (error) {
      this.logger.warn('keyspace notifications unavailable; discovering streams by polling', { error: messageOf(error) });
      this.notifyConfigured = false;
    }
  }

  private get notificationsActive(): boolean {
    return this.notifyConfigured && this.subscribed;
  }

  private subscribe(): Promise<void> {
    const sub = this.sub;
    if (!sub || this.subscribed || this.closed) return Promise.resolve();
    this.subscribing ??= sub
      .subscribe(this.notificationChannel())
      .then(
        () => {
          this.subscribed = true;
          this.nextAuditAt = 0;
        },
        (error: unknown) => this.logger.debug('could not subscribe to keyspace notifications yet', { error: messageOf(error) }),
      )
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  private notificationChannel(): string {
    const db = this.cmd.options.db ?? 0;
    return `__keyevent@${db}__:xadd`;
  }

  private onNotification(key: string): void {
    // A blocking read in flight over this stream returns the new entry itself: marking the stream
    // dirty would only cost an empty XREADGROUP (and a wake-up) per entry, our own completions included.
    if (this.streams.entryAdded(key)) return;
    if (!this.fixed && this.patternRe.test(key) && !this.streams.isRejected(key)) this.streams.discover(key);
  }

  private rescanPeriod(): number {
    return this.notificationsActive ? this.options.rescanIntervalMs : FALLBACK_POLL_MS;
  }

  /** Groups for streams named by notifications, and one step of the incremental SCAN when due. */
  private async discoverStep(): Promise<void> {
    if (this.fixed) return;
    const discovered = this.streams.takeDiscovered();
    if (discovered.length > 0) await this.createGroups(discovered.filter((key) => !this.streams.isKnown(key)));
    const now = this.clock.now();
    if (this.scanCursor === undefined) {
      if (now < this.nextScanAt) return;
      this.scanCursor = '0';
      this.streams.clearRejected();
    }
    this.scanCursor = await this.scanStep(this.scanCursor);
    if (this.scanCursor === '0') {
      this.scanCursor = undefined;
      this.nextScanAt = this.clock.now() + this.rescanPeriod();
    }
  }

  /** One SCAN … MATCH pattern TYPE stream step; creates groups for new keys. Returns the next cursor. */
  private async scanStep(cursor: string): Promise<string> {
    const [next, keys] = (await this.cmd.call('SCAN', cursor, 'MATCH', this.options.pattern || DEFAULT_STREAM_PATTERN, 'TYPE', 'stream', 'COUNT', SCAN_COUNT)) as [string, string[]];
    await this.createGroups(keys.filter((key) => !this.streams.isKnown(key) && !this.streams.isRejected(key)));
    return next;
  }

  /** createGroup for many keys in one pipelined round trip. */
  private async createGroups(candidates: string[]): Promise<void> {
    const keys = candidates.filter((key) => !this.streams.isHeldForHistory(key));
    if (keys.length === 0) return;
    const pipeline = this.cmd.pipeline() as unknown as GroupPipeline;
    for (const key of keys) pipeline.flunqCreateGroup(key, historyScanKey(key, this.options.group), this.options.group);
    const replies = (await pipeline.exec()) ?? [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const [error, created] = replies[i] ?? [new Error('no reply'), null];
      if (error) {
        if (isConnectionError(error)) throw error;
        this.streams.reject(key);
        this.logger.warn('ignoring a key that cannot be read as a stream', { stream: key, error: messageOf(error) });
        continue;
      }
      if (Number(created) > 0) {
        this.startHistoryScan(key);
        continue;
      }
      this.streams.admit(key);
    }
  }

  /** XGROUP CREATE key group 0 MKSTREAM (BUSYGROUP is fine). A key that fails is not read. */
  private async createGroup(key: string, explicit: boolean): Promise<boolean> {
    if (this.streams.isHeldForHistory(key)) return true;
    try {
      const redis = this.cmd as unknown as GroupCommand;
      if (Number(await redis.flunqCreateGroup(key, historyScanKey(key, this.options.group), this.options.group)) > 0) {
        this.startHistoryScan(key);
        return true;
      }
    } catch (error) {
      const message = messageOf(error);
      if (!message.includes('BUSYGROUP')) {
        if (!isConnectionError(error)) {
          this.streams.reject(key);
          this.logger.warn(explicit ? 'cannot read a configured stream' : 'ignoring a key that cannot be read as a stream', { stream: key, error: message });
          return false;
        }
        throw error;
      }
    }
    if (this.streams.admit(key)) this.logger.debug('reading stream', { stream: key });
    return true;
  }

  /** The group was created by this process: its history is scanned for outcomes before the stream is read. */
  private startHistoryScan(key: string): void {
    this.streams.holdForHistory(key);
    this.logger.debug('new consumer group: scanning the stream history for outcomes before reading it', { stream: key });
  }

  /**
   * Idempotency markers for the history of streams whose group this process just created: every
   * task.completed or task.dlq entry already on the stream (by any executor, markers expired or
   * never written) gets its task's marker, so the new group acknowledges those requests instead of
   * running them again. At most HISTORY_BUDGET entries per receive(), so other streams keep flowing;
   * a stream is read only once its scan is done.
   */
  private async scanHistory(): Promise<void> {
    let budget = HISTORY_BUDGET;
    while (budget > 0 && this.streams.heldForHistoryCount > 0) {
      // One round: the next chunk of up to HISTORY_STREAMS_PER_ROUND streams in one pipelined round trip.
      const round = this.streams.firstHeldForHistory(Math.min(HISTORY_STREAMS_PER_ROUND, Math.ceil(budget / HISTORY_MIN_COST)));
      const reads = this.cmd.pipeline();
      for (const stream of round) reads.xrange(stream, this.historyCursors.get(stream) ?? '-', '+', 'COUNT', HISTORY_CHUNK);
      const replies = (await reads.exec()) ?? [];
      const writes = this.cmd.pipeline();
      const finished: string[] = [];
      for (let i = 0; i < round.length; i++) {
        const stream = round[i] as string;
        const [error, reply] = replies[i] ?? [new Error('no reply'), null];
        if (error) {
          if (isConnectionError(error)) throw error;
          budget -= HISTORY_MIN_COST;
          this.historyCursors.delete(stream);
          this.streams.abandonHistory(stream);
          this.forget(stream, messageOf(error));
          continue;
        }
        const rows = reply as [string, string[]][];
        budget -= Math.max(rows.length, HISTORY_MIN_COST);
        for (const [, flat] of rows) {
          const fields = toFields(flat);
          if (!OUTCOME_TYPES.has(fields['type'] ?? '')) continue;
          const taskId = fields['taskid'] || (fields['id'] ?? '').replace(/^task-(completed|requested)-/, '');
          if (!taskId) continue;
          const key = settledMarkerKey(stream, taskId);
          if (this.options.settledTtlMs > 0) writes.set(key, '1', 'PX', this.options.settledTtlMs);
          else writes.set(key, '1');
        }
        const last = rows[rows.length - 1];
        if (rows.length < HISTORY_CHUNK || !last) {
          finished.push(stream);
          writes.del(historyScanKey(stream, this.options.group));
        } else this.historyCursors.set(stream, `(${last[0]}`);
      }
      // Markers first, then the flag is removed (MULTI-less pipeline: order is kept on one connection).
      for (const [error] of (await writes.exec()) ?? []) if (error) throw error;
      for (const stream of finished) {
        this.historyCursors.delete(stream);
        this.streams.releaseFromHistory(stream);
        this.logger.debug('history scanned; reading stream', { stream });
      }
    }
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

  /** Start-up: this consumer's own pending entries (XREADGROUP … 0), oldest first, paged. */
  private async readOwnPending(out: Delivery[], max: number): Promise<void> {
    const queue = this.ownPending;
    if (!queue) return;
    for (const [stream, after] of queue) {
      if (out.length >= max) return;
      const count = Math.min(this.options.batch, max - out.length);
      let reply: unknown;
      try {
        reply = await this.cmd.call('XREADGROUP', 'GROUP', this.options.group, this.options.consumer, 'COUNT', count, 'STREAMS', stream, after);
      } catch (error) {
        if (!isNoGroup(error)) throw error;
        queue.delete(stream);
        continue;
      }
      const entries = parseRead(reply).get(stream) ?? [];
      if (entries.length < count) queue.delete(stream);
      else queue.set(stream, entries[entries.length - 1]?.id ?? after);
      if (entries.length === 0) continue;
      const counts = await this.deliveryCounts(stream, entries);
      for (const entry of entries) {
        if (!entry.fields) {
          await this.dropDeleted(stream, [entry.id]);
          continue;
        }
        out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: counts.get(entry.id) ?? 2 });
      }
    }
    if (queue.size === 0) {
      this.ownPending = undefined;
    }
  }

  /** Delivery counts of this consumer's pending entries between the first and last of `entries`. */
  private async deliveryCounts(stream: string, entries: RawEntry[]): Promise<Map<string, number>> {
    const first = entries[0]?.id ?? '-';
    const last = entries[entries.length - 1]?.id ?? '+';
    const rows = (await this.cmd.call('XPENDING', stream, this.options.group, first, last, entries.length, this.options.consumer)) as [string, string, number, number][];
    return new Map(rows.map((r) => [r[0], Number(r[3])]));
  }

  private async dropDeleted(stream: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.deletedCount += ids.length;
    this.logger.warn('pending entries were deleted from the stream before they were processed; they are lost', { stream, count: ids.length });
    await this.cmd.xack(stream, this.options.group, ...ids);
  }

  /**
   * Pipelined XINFO GROUPS over every known stream: marks streams with undelivered entries (lag)
   * dirty, queues streams with pending entries for XAUTOCLAIM, reports pending and lag totals.
   * Incremental: one chunk of AUDIT_CHUNK streams per call (per receive), so that with thousands
   * of streams an audit never holds up reading for long (a whole pass over 10,000 streams in one
   * go stalled the loop for ~300 ms, which showed as the p99 latency).
   */
  private async audit(): Promise<void> {
    const cursor = (this.auditCursor ??= { streams: this.streams.knownStreams(), index: 0, pending: 0, lag: 0 });
    const chunk = cursor.streams.slice(cursor.index, cursor.index + AUDIT_CHUNK);
    cursor.index += chunk.length;
    if (cursor.index < cursor.streams.length) this.nextAuditAt = 0;
    else {
      const period = this.notificationsActive || this.streams.knownCount <= this.options.streamsPerRead ? this.options.reclaimIntervalMs : Math.min(FALLBACK_POLL_MS, this.options.reclaimIntervalMs);
      this.nextAuditAt = this.clock.now() + period;
      this.auditCursor = undefined;
    }
    if (chunk.length > 0) {
      const pipeline = this.cmd.pipeline();
      for (const s of chunk) pipeline.call('XINFO', 'GROUPS', s);
      const replies = (await pipeline.exec()) ?? [];
      for (let j = 0; j < chunk.length; j++) {
        const stream = chunk[j] as string;
        if (!this.streams.isKnown(stream)) continue;
        const [error, reply] = replies[j] ?? [new Error('no reply'), null];
        if (error) {
          if (isConnectionError(error)) {
            // Start over after the outage.
            this.auditCursor = undefined;
            this.nextAuditAt = 0;
            throw error;
          }
          this.forget(stream, messageOf(error));
          continue;
        }
        const info = (reply as unknown[][]).map(pairsToObject).find((g) => g['name'] === this.options.group);
        if (!info) {
          // Group destroyed behind our back: recreate it (at 0; idempotency markers prevent replays).
          this.streams.drop(stream);
          await this.createGroup(stream, this.fixed);
          continue;
        }
        const pending = Number(info['pending'] ?? 0);
        const lag = info['lag'];
        cursor.pending += pending;
        if (lag === null || lag === undefined || Number(lag) > 0) {
          this.streams.markDirty(stream);
          cursor.lag += lag === null || lag === undefined ? 0 : Number(lag);
        }
        if (pending > 0 && this.options.reclaimEnabled && !this.reclaimQueue.has(stream)) this.reclaimQueue.set(stream, '0-0');
      }
    }
    if (cursor.index >= cursor.streams.length) {
      this.metrics.pendingEntries(this.options.group, cursor.pending);
      this.metrics.consumerLag(this.options.group, cursor.lag);
    }
  }

  private forget(stream: string, reason: string): void {
    if (this.fixed && !reason.includes('WRONGTYPE')) {
      this.setupNeeded = true; // recreate the configured stream and its group
      return;
    }
    this.streams.remove(stream);
    this.logger.debug('no longer reading stream', { stream, reason });
  }

  /** XAUTOCLAIM on streams with pending entries; the delivery count becomes the attempt number. */
  private async reclaim(out: Delivery[], max: number): Promise<void> {
    const strandedAfter = this.options.reclaimIdleMs * 2 + 5000;
    let claimedNow = 0;
    for (const [stream, cursor] of this.reclaimQueue) {
      if (out.length >= max) break;
      const count = max - out.length;
      let reply: [string, [string, string[] | null][], string[]?];
      try {
        reply = (await this.cmd.call('XAUTOCLAIM', stream, this.options.group, this.options.consumer, this.options.reclaimIdleMs, cursor, 'COUNT', count)) as typeof reply;
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
      if (fresh.length === 0) continue;
      const counts = await this.deliveryCounts(stream, fresh);
      for (const entry of fresh) {
        if (!entry.fields) {
          await this.dropDeleted(stream, [entry.id]);
          continue;
        }
        out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: counts.get(entry.id) ?? 2 });
        claimedNow++;
      }
    }
    if (claimedNow > 0) {
      this.reclaimedCount += claimedNow;
      this.metrics.reclaimed('redis', claimedNow);
      this.logger.info('reclaimed idle entries from other consumers', { count: claimedNow });
    }
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
    const connection = this.block;
    const generation = this.blockGeneration;
    if (connection.status !== 'ready') {
      await this.waitForNotification(signal, Math.min(this.options.blockMs, 200));
      return;
    }
    const read = this.read(connection, streams, count, this.options.blockMs);
    const covered = new Set(streams);
    this.streams.cover(covered);
    const inFlight = read.catch(() => undefined).finally(() => {
      if (this.blockInFlight === inFlight) this.blockInFlight = undefined;
      this.streams.uncover(covered);
    });
    this.blockInFlight = inFlight;
    // No AbortController, listener or timer per read (each cost 10-30 µs at low load): the caller's
    // signal, notifications and one shared watchdog end the wait through `blockEnd`.
    this.watchStopSignal(signal);
    const outcome = await new Promise<BlockOutcome>((resolve) => {
      const wake = (): void => resolve(ABORTED);
      this.blockEnd = resolve;
      this.blockDeadline = this.clock.now() + this.options.blockMs + this.watchdogMarginMs;
      if (this.notificationsActive) this.streams.addWaiter(wake);
      this.blockWake = wake;
      read.then(
        (got) => resolve({ kind: 'read', got }),
        (error: unknown) => resolve({ kind: 'error', error }),
      );
      if (signal.aborted) resolve(ABORTED);
      this.armWatchdog();
    });
    this.blockEnd = undefined;
    this.blockDeadline = 0;
    if (this.blockWake) this.streams.removeWaiter(this.blockWake);
    this.blockWake = undefined;
    if (outcome.kind === 'read') {
      // A stream that filled its COUNT may have more (its notifications were ignored meanwhile).
      for (const [stream, entries] of outcome.got) if (entries.length >= count) this.streams.markDirty(stream);
      this.push(outcome.got, out);
      return;
    }
    if (outcome.kind === 'error') {
      // The connection dropped: entries the read took are pending for this consumer, their reply lost.
      if (isConnectionError(outcome.error)) this.markLost(streams);
      throw outcome.error;
    }
    if (outcome.kind === 'timeout') {
      if (generation === this.blockGeneration) {
        this.logger.warn('a blocking read hung past its block time; replacing the connection', { blockMs: this.options.blockMs });
        this.replaceBlockingConnection();
        this.markLost(streams);
      }
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
        if (isConnectionError(error)) this.markLost(streams);
      },
    );
  }

  private markLost(streams: readonly string[]): void {
    for (const stream of streams) if (this.streams.isKnown(stream)) this.lostReads.add(stream);
  }

  /**
   * After a blocking read was lost (connection replaced or dropped while Redis may have delivered
   * entries to it): this consumer's pending entries on the streams it covered that are neither held
   * nor carried are read back at once, rather than after the reclaim idle time. XPENDING first (no
   * side effect) finds them; XREADGROUP from just before the first then reads them, so that entries
   * still in progress keep their delivery counts. The delivery count (history reads count as a
   * delivery) becomes the attempt, as for any redelivery.
   */
  private async recoverLostReads(out: Delivery[]): Promise<void> {
    for (const stream of [...this.lostReads]) {
      const room = this.inFlight.heldCount + this.inFlight.carriedCount + this.options.batch + 100;
      let rows: [string, string, number, number][];
      try {
        rows = (await this.cmd.call('XPENDING', stream, this.options.group, '-', '+', room, this.options.consumer)) as typeof rows;
      } catch (error) {
        if (isConnectionError(error)) throw error;
        this.lostReads.delete(stream);
        continue;
      }
      const taken = new Set<string>([...this.inFlight.carriedKeys(), ...out.map(heldKey)]);
      const lost = rows.filter(([id]) => !this.inFlight.heldEntry(entryKey(stream, id)) && !taken.has(entryKey(stream, id))).map(([id]) => id);
      if (lost.length === 0) {
        this.lostReads.delete(stream);
        continue;
      }
      const ids = rows.map(([id]) => id);
      const count = ids.indexOf(lost[lost.length - 1] as string) - ids.indexOf(lost[0] as string) + 1;
      let reply: unknown;
      try {
        reply = await this.cmd.call('XREADGROUP', 'GROUP', this.options.group, this.options.consumer, 'COUNT', count, 'STREAMS', stream, idBefore(lost[0] as string));
      } catch (error) {
        if (isConnectionError(error)) throw error;
        reply = null;
      }
      this.lostReads.delete(stream);
      const wanted = new Set(lost);
      const entries = (parseRead(reply).get(stream) ?? []).filter((e) => wanted.has(e.id));
      if (entries.length === 0) continue;
      const counts = await this.deliveryCounts(stream, entries);
      for (const entry of entries) {
        if (!entry.fields) {
          await this.dropDeleted(stream, [entry.id]);
          continue;
        }
        out.push({ stream, entryId: entry.id, fields: entry.fields, deliveryCount: counts.get(entry.id) ?? 2 });
      }
      this.logger.info('read back entries delivered to a lost blocking read', { stream, count: entries.length });
    }
  }

  /** The loop's stop signal ends a blocking read; one listener per signal, not one per read. */
  private watchStopSignal(signal: AbortSignal): void {
    if (this.watchedSignals.has(signal)) return;
    this.watchedSignals.add(signal);
    signal.addEventListener('abort', () => this.blockEnd?.(ABORTED), { once: true });
  }

  /**
   * One timer for all blocking reads: it sleeps until the deadline of the read being awaited
   * (block time + margin from its start), re-arms while reads keep finishing in time, and stops
   * when no read is awaited. A read past its deadline ends with 'timeout' (the connection is replaced).
   */
  private armWatchdog(): void {
    if (this.watchdogArmed || this.closed) return;
    this.watchdogArmed = true;
    const disarm = (): void => {
      this.watchdogArmed = false;
    };
    const check = (): void => {
      const deadline = this.watchDeadline();
      if (deadline === 0 || this.closed) {
        this.watchdogArmed = false;
        return;
      }
      const left = deadline - this.clock.now();
      if (left > 0) {
        void this.clock.sleep(left, this.lifetime.signal).then(check, disarm);
        return;
      }
      // Due. Reply data may be waiting in the socket, unread because this process was busy: decide
      // after the event loop's I/O phase has delivered it.
      setImmediate(() => {
        const again = this.watchDeadline();
        if (again === 0 || this.closed) {
          this.watchdogArmed = false;
          return;
        }
        if (again > this.clock.now()) {
          check();
          return;
        }
        this.watchdogArmed = false;
        this.blockEnd?.(TIMED_OUT);
      });
    };
    const left = Math.max(0, this.watchDeadline() - this.clock.now());
    void this.clock.sleep(left, this.lifetime.signal).then(check, disarm);
  }

  /** The awaited read's deadline, pushed back while its reply keeps arriving (0 when none is awaited). */
  private watchDeadline(): number {
    if (this.blockDeadline === 0) return 0;
    return Math.max(this.blockDeadline, this.blockDataAt + this.watchdogMarginMs);
  }

  private get watchdogMarginMs(): number {
    return this.options.watchdogMarginMs ?? Math.max(1000, this.options.blockMs);
  }

  private newBlockingConnection(): Redis {
    const redis = createConnection(this.options, 'blocking', this.logger);
    // One timestamp per chunk received (64 KiB at most): a large reply in progress keeps its read alive.
    const onData = (): void => {
      if (redis === this.block) this.blockDataAt = this.clock.now();
    };
    redis.on('connect', () => redis.stream.on('data', onData));
    return redis;
  }

  private replaceBlockingConnection(): void {
    const old = this.block;
    this.blockGeneration++;
    this.blockInFlight = undefined;
    this.block = this.newBlockingConnection();
    old.disconnect();
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
      // A stream or its group vanished (Redis restarted without persistence, key deleted or
      // replaced): re-check each stream of this read; ones that cannot be read are dropped.
      this.logger.warn('a stream or its consumer group is missing; re-creating groups', { error: messageOf(error) });
      for (const s of streams) {
        const type = await this.cmd.type(s);
        if (type === 'stream' || (type === 'none' && this.fixed)) await this.createGroup(s, this.fixed);
        else this.forget(s, `key is ${type}`);
      }
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
    let nextWork = Math.min(ms, this.nextAuditAt - now);
    if (!this.fixed) nextWork = Math.min(nextWork, this.scanCursor !== undefined ? 0 : this.nextScanAt - now);
    await this.streams.waitForWork(signal, nextWork);
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

/** The group-creation script, on the connection or a pipeline (ioredis defineCommand). */
interface GroupPipeline {
  flunqCreateGroup(stream: string, historyKey: string, group: string): GroupPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}
interface GroupCommand {
  flunqCreateGroup(stream: string, historyKey: string, group: string): Promise<unknown>;
}

type BlockOutcome = { kind: 'read'; got: Map<string, RawEntry[]> } | { kind: 'error'; error: unknown } | { kind: 'timeout' } | { kind: 'aborted' };
const ABORTED: BlockOutcome = { kind: 'aborted' };
const TIMED_OUT: BlockOutcome = { kind: 'timeout' };

/** Why a wait was ended (a ready-made reason: aborting without one builds a DOMException each time). */
const WAIT_ENDED = new Error('wait ended');

function hintKey(stream: string, key: string): string {
  return `${stream}\u0000${key}`;
}

/** The stream id just before `id` (XREADGROUP with an id returns the entries after it). */
function idBefore(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  if (BigInt(ms) > 0n) return `${BigInt(ms) - 1n}-18446744073709551615`;
  return '0-0';
}

const heldKey = deliveryKey;

function toFields(flat: string[]): Fields {
  const fields: Fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

/** XREADGROUP reply → entries per stream (null fields: the entry was deleted while pending). */
function parseRead(reply: unknown): Map<string, RawEntry[]> {
  const out = new Map<string, RawEntry[]>();
  if (!Array.isArray(reply)) return out;
  for (const item of reply as [string, [string, string[] | null][]][]) {
    const [stream, entries] = item;
    out.set(
      stream,
      entries.map(([id, flat]) => ({ id, fields: flat ? toFields(flat) : null })),
    );
  }
  return out;
}

function pairsToObject(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isNoGroup(error: unknown): boolean {
  const m = messageOf(error);
  return m.includes('NOGROUP') || m.includes('no such key');
}

/** Errors of the connection (retry later), as opposed to errors about a key (skip the key). */
function isConnectionError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ReplyError') return false;
  return true;
}

/** Resolves when the connection is ready, or after `ms` (the caller checks the status). */
function waitForReady(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

async function quit(redis: Redis): Promise<void> {
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  } catch {
    // already closed
  }
  redis.disconnect();
}
