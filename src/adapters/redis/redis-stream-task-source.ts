/**
 * The entry stream over Redis Streams and a consumer group (see docs/adr/0002-stream-discovery.md): a
 * facade that composes the parts below and decides the order of one receive().
 *
 * Parts, each the one owner of its state (bottom first): the stream set and the in-flight
 * deliveries; the connections (commands, blocking reads and their watchdog, notifications);
 * discovery (notifications, SCAN, group creation); the history scan of new groups; recovery (own
 * pending entries, reclaim, lost blocking reads); the audit (lag, pending); the reader; claims and
 * the settler. Lua scripts are in `scripts/`. On a Redis Cluster
 * (`clusterNodes`, docs/adr/0008-redis-cluster.md) the connections add one notification subscriber
 * per primary and a SCAN over every primary (`cluster-nodes.ts`), and commands over many streams go
 * through `batch.ts` (one pipeline on a single node, one routed command each on a cluster).
 *
 * Owns only whether the last receive() reached Redis (health).
 */
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { Delivery, EntryStream, OutgoingEntry, TaskClaim } from '../flunq-wire/entry-stream';
import { Audit } from './audit';
import { Claims } from './claims';
import { SourceConnections } from './connections';
import { Discovery } from './discovery';
import { HistoryScan } from './history-scan';
import { InFlight } from './in-flight';
import { Reader } from './reader';
import { Recovery } from './recovery';
import { Settler } from './settler';
import { RedisStreamTaskSourceOptions } from './source-options';
import { StreamSet } from './stream-set';

export { DEFAULT_STREAM_PATTERN, RedisStreamTaskSourceOptions } from './source-options';

/** While the blocking connection is not ready, wait at most this long (ms) before trying again. */
const NOT_READY_WAIT_MS = 200;

/**
 * Streams are read only when known to have new entries ("dirty"): notifications of XADD mark them,
 * a periodic pipelined XINFO GROUPS audit (lag, pending) catches what notifications missed, and
 * when few streams are known a blocking XREADGROUP over all of them gives instant wake-up.
 */
export class RedisStreamTaskSource implements EntryStream {
  private readonly streams: StreamSet;
  private readonly inFlight = new InFlight();
  private readonly connections: SourceConnections;
  private readonly discovery: Discovery;
  private readonly history: HistoryScan;
  private readonly recovery: Recovery;
  private readonly audit: Audit;
  private readonly reader: Reader;
  private readonly claims: Claims;
  private readonly settler: Settler;
  private healthy = false;

  constructor(
    private readonly options: RedisStreamTaskSourceOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.streams = new StreamSet(clock);
    this.connections = new SourceConnections(options, clock, logger);
    this.connections.commands.on('close', () => {
      this.healthy = false;
    });
    this.discovery = new Discovery(options, this.connections, this.streams, clock, logger);
    this.history = new HistoryScan(options, this.connections, this.streams, this.discovery, logger);
    this.recovery = new Recovery(options, this.connections, this.streams, this.inFlight, clock, logger, metrics);
    this.audit = new Audit(options, this.connections, this.streams, this.discovery, this.recovery, clock, metrics);
    this.reader = new Reader(options, this.connections, this.streams, this.discovery, this.recovery, this.inFlight, clock);
    this.claims = new Claims(options, this.connections, logger);
    this.settler = new Settler(options, this.connections, this.claims, this.inFlight, logger);
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

  async receive(max: number, signal: AbortSignal, admits?: (stream: string) => boolean): Promise<Delivery[]> {
    if (this.connections.closed) throw new Error('task source is closed');
    if (max <= 0) return [];
    try {
      const out = await this.collect(max, signal, admits);
      this.healthy = true;
      return out;
    } catch (error) {
      this.healthy = false;
      throw error;
    }
  }

  settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void> {
    return this.settler.settle(delivery, entries, taskId);
  }

  acknowledge(delivery: Delivery): Promise<void> {
    return this.settler.acknowledge(delivery);
  }

  release(delivery: Delivery): Promise<void> {
    return this.settler.release(delivery);
  }

  claimTask(delivery: Delivery, key: string): Promise<TaskClaim> {
    return this.claims.claimTask(delivery, key);
  }

  /** Renews the entry only while this consumer owns it; false (and a warning) when it is no longer ours. */
  async keepAlive(delivery: Delivery): Promise<boolean> {
    const owned = await this.claims.renew(delivery);
    if (owned) this.inFlight.touch(delivery, this.clock.now());
    return owned;
  }

  isReady(): boolean {
    return !this.connections.closed && this.healthy && this.connections.commands.status === 'ready' && !this.discovery.setupNeeded;
  }

  async close(): Promise<void> {
    if (this.connections.closed) return;
    this.streams.wakeAll();
    await this.connections.close();
  }

  /**
   * One receive(): recovered entries first (carried, lost reads, own pending, reclaimed), the audit
   * and discovery when due, then new entries; with nothing to hand out, one wait (a blocking read,
   * or a wait for a notification or the next due audit or scan) and one more look. With `admits`,
   * new entries come only from streams it admits (the blocking read covers only those).
   */
  private async collect(max: number, signal: AbortSignal, admits?: (stream: string) => boolean): Promise<Delivery[]> {
    await this.ensureSetUp();
    const out: Delivery[] = await this.takeCarried(max);
    // Each step is awaited only when it has work: an await costs a turn of the microtask queue.
    if (out.length < max && this.recovery.hasLostReads) await this.recovery.recoverLostReads(out);
    if (out.length < max && this.recovery.hasOwnPending) await this.recovery.readOwnPending(out, max);
    if (this.clock.now() >= this.audit.dueAt) await this.audit.step();
    if (out.length < max && this.recovery.hasReclaimWork) await this.recovery.reclaim(out, max);
    await this.discovery.step();
    if (this.history.pending) await this.history.scan();
    if (out.length < max) await this.reader.readDirty(out, max, admits);
    if (out.length > 0 || signal.aborted || this.connections.closed) return this.handOut(out, max);

    // Nothing to do: wait for new entries, at most the block time.
    const known = this.streams.knownCount;
    // No blocking read on a cluster (it would wait on one primary only): notifications of every primary wake the wait.
    if (known > 0 && !this.connections.cluster && !this.connections.blockingBusy && !this.history.pending && (known <= this.options.streamsPerRead || !this.discovery.notificationsActive)) {
      const streams = this.streams.firstKnown(this.options.streamsPerRead, admits);
      if (streams.length === 0) await this.waitForWork(signal, this.options.blockMs, admits);
      else if (!(await this.reader.blockingRead(streams, max, signal, out, admits))) await this.waitForWork(signal, Math.min(this.options.blockMs, NOT_READY_WAIT_MS), admits);
    } else {
      await this.waitForWork(signal, this.options.blockMs, admits);
    }
    if (out.length === 0 && !signal.aborted && !this.connections.closed) {
      if (this.recovery.hasLostReads) await this.recovery.recoverLostReads(out);
      await this.discovery.step();
      await this.reader.readDirty(out, max, admits);
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

  /** Carried-over deliveries, up to `max`; one that waited long is handed out only if it is still ours. */
  private async takeCarried(max: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    while (out.length < max) {
      const carried = this.inFlight.takeCarried();
      if (!carried) break;
      if (this.clock.now() - carried.at >= this.options.reclaimIdleMs / 2 && !(await this.claims.renew(carried.delivery))) continue;
      out.push(carried.delivery);
    }
    return out;
  }

  /** At most `max` deliveries are handed out (the rest carried), and their task requests claimed. */
  private handOut(out: Delivery[], max: number): Delivery[] {
    const handed = this.inFlight.hand(out, max, this.clock.now());
    this.claims.prefetch(handed);
    return handed;
  }

  /** Waits for a notification (new stream or entry), the signal, `ms`, or the next audit or scan. */
  private async waitForWork(signal: AbortSignal, ms: number, admits?: (stream: string) => boolean): Promise<void> {
    const now = this.clock.now();
    await this.streams.waitForWork(signal, Math.min(ms, this.audit.dueAt - now, this.discovery.scanDueIn(now)), admits);
  }
}
