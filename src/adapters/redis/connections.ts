/**
 * The three connections of the stream source, and the watchdog of blocking reads.
 *
 * Owns: the commands connection (with the Lua scripts defined), the notifications connection (when
 * keyspace notifications are enabled), the blocking-read connection and its replacement when a read
 * hangs (generation), whether a read is in flight on it, the wait for that read (its end and
 * deadline, when reply data last arrived), the one watchdog timer, and whether the source is closed.
 *
 * Who changes what: only this class replaces the blocking connection and ends or times out the wait
 * for a blocking read; the reader starts reads and may end the wait early (`endBlockingWait`); the
 * facade closes. Other parts send commands and attach their own event handlers (set-up, health,
 * notifications) to the connections.
 */
import Redis, { Cluster } from 'ioredis';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { ClusterNotifications, clusterScanStep, NotificationSource } from './cluster-nodes';
import { defineScripts, ScriptedRedis } from './lua-scripts';
import { createClusterClient, createConnection, isClusterSettings, RedisClient } from './redis-connection';
import { RedisStreamTaskSourceOptions } from './source-options';

export type ConnectionOptions = Pick<RedisStreamTaskSourceOptions, 'url' | 'password' | 'clusterNodes' | 'blockMs' | 'watchdogMarginMs' | 'keyspaceNotifications'>;

/** How the wait for a blocking read ended. */
export type BlockOutcome<T> = { kind: 'read'; got: T } | { kind: 'error'; error: unknown } | Ended;
type Ended = { kind: 'timeout' } | { kind: 'aborted' };
const ABORTED: Ended = { kind: 'aborted' };
const TIMED_OUT: Ended = { kind: 'timeout' };

/** Why the watchdog's timer was cancelled (a ready-made reason: aborting without one builds a DOMException). */
const CLOSED = new Error('closed');

export class SourceConnections {
  readonly commands: ScriptedRedis;
  /** Keyspace notifications (undefined when they are disabled): one connection, or one per cluster primary. */
  readonly notifications: NotificationSource | undefined;
  /** The commands client is a Redis Cluster client (no blocking reads: see docs/adr/0008-redis-cluster.md). */
  readonly cluster: Cluster | undefined;
  /** Opened on first use (never on a cluster). */
  private blockingConnection: Redis | undefined;
  /** Counts replacements of the blocking connection. */
  private generation = 0;
  /** The read in flight on the blocking connection, if any (it may outlive the wait for it). */
  private inFlight: Promise<unknown> | undefined;
  /** Ends the wait for the blocking read (stop signal, notification, watchdog, close). */
  private end: ((outcome: Ended) => void) | undefined;
  /** When the awaited blocking read counts as hung unless reply data keeps arriving (epoch ms); 0 when none is awaited. */
  private deadline = 0;
  /** When bytes last arrived on the blocking connection (epoch ms): a reply in progress is not a hung read. */
  private dataAt = 0;
  private watchdogArmed = false;
  private readonly watchedSignals = new WeakSet<AbortSignal>();
  /** Aborted by close(): cancels the watchdog's timer. */
  private readonly lifetime = new AbortController();
  private isClosed = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    if (isClusterSettings(options)) {
      this.cluster = createClusterClient(options, logger);
      this.commands = defineScripts(this.cluster);
      this.notifications = options.keyspaceNotifications ? new ClusterNotifications(this.cluster, options, logger) : undefined;
    } else {
      this.commands = defineScripts(createConnection(options, 'commands', logger));
      this.blockingConnection = this.newBlockingConnection();
      this.notifications = options.keyspaceNotifications ? createConnection(options, 'notifications', logger) : undefined;
    }
  }

  /** Every node to configure (CONFIG): the Redis, or every primary of the cluster. */
  configurableNodes(): Redis[] {
    return this.cluster ? this.cluster.nodes('master') : [this.commands as Redis];
  }

  /** One SCAN step over the keyspace (on a cluster over every primary, the cursor naming the node). */
  async scanStep(cursor: string, args: (string | number)[]): Promise<[string, string[]]> {
    if (this.cluster) return clusterScanStep(this.cluster, cursor, args, this.logger);
    return (await this.commands.call('SCAN', cursor, ...args)) as [string, string[]];
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The connection for blocking reads (replaced when a read on it hangs). */
  get blocking(): Redis {
    return (this.blockingConnection ??= this.newBlockingConnection());
  }

  /** A read is still in flight on the blocking connection: no other may start. */
  get blockingBusy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Resolves when the commands connection is ready, or after `ms` (the caller checks the status). */
  commandsReady(ms: number): Promise<void> {
    const redis = this.commands;
    if (redis.status === 'ready') return Promise.resolve();
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

  /**
   * Waits for `read`, just started on the blocking connection: until it replies or fails, `signal`
   * aborts, `endBlockingWait()` is called, or the watchdog finds it hung (past its block time plus
   * the margin with no reply data arriving; the connection is then replaced). `onSettled` runs when
   * the read itself settles, which may be after the wait ended.
   *
   * No AbortController, listener or timer per read (each cost 10-30 µs at low load): the caller's
   * signal, `endBlockingWait` and one shared watchdog end the wait through `end`.
   */
  async waitForBlockingRead<T>(read: Promise<T>, signal: AbortSignal, onSettled: () => void): Promise<BlockOutcome<T>> {
    const generation = this.generation;
    const inFlight = read
      .catch(() => undefined)
      .finally(() => {
        if (this.inFlight === inFlight) this.inFlight = undefined;
        onSettled();
      });
    this.inFlight = inFlight;
    this.watchStopSignal(signal);
    const outcome = await new Promise<BlockOutcome<T>>((resolve) => {
      this.end = resolve;
      this.deadline = this.clock.now() + this.options.blockMs + this.marginMs;
      read.then(
        (got) => resolve({ kind: 'read', got }),
        (error: unknown) => resolve({ kind: 'error', error }),
      );
      if (signal.aborted) resolve(ABORTED);
      this.armWatchdog();
    });
    this.end = undefined;
    this.deadline = 0;
    if (outcome.kind === 'timeout' && generation === this.generation) {
      this.logger.warn('a blocking read hung past its block time; replacing the connection', { blockMs: this.options.blockMs });
      this.replaceBlockingConnection();
    }
    return outcome;
  }

  /** Ends the wait for the blocking read ('aborted'); the read itself goes on. */
  endBlockingWait(): void {
    this.end?.(ABORTED);
  }

  /** Pending commands are given a second to finish; a blocking read in progress is dropped, not awaited. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.lifetime.abort(CLOSED);
    this.end?.(ABORTED);
    this.blockingConnection?.disconnect();
    if (this.notifications instanceof ClusterNotifications) this.notifications.close();
    else if (this.notifications) await quit(this.notifications as Redis);
    await quit(this.commands);
  }

  /** The loop's stop signal ends a blocking read; one listener per signal, not one per read. */
  private watchStopSignal(signal: AbortSignal): void {
    if (this.watchedSignals.has(signal)) return;
    this.watchedSignals.add(signal);
    signal.addEventListener('abort', () => this.end?.(ABORTED), { once: true });
  }

  /**
   * One timer for all blocking reads: it sleeps until the deadline of the read being awaited
   * (block time + margin from its start), re-arms while reads keep finishing in time, and stops
   * when no read is awaited. A read past its deadline ends with 'timeout'.
   */
  private armWatchdog(): void {
    if (this.watchdogArmed || this.isClosed) return;
    this.watchdogArmed = true;
    const disarm = (): void => {
      this.watchdogArmed = false;
    };
    const check = (): void => {
      const deadline = this.watchDeadline();
      if (deadline === 0 || this.isClosed) {
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
        if (again === 0 || this.isClosed) {
          this.watchdogArmed = false;
          return;
        }
        if (again > this.clock.now()) {
          check();
          return;
        }
        this.watchdogArmed = false;
        this.end?.(TIMED_OUT);
      });
    };
    const left = Math.max(0, this.watchDeadline() - this.clock.now());
    void this.clock.sleep(left, this.lifetime.signal).then(check, disarm);
  }

  /** The awaited read's deadline, pushed back while its reply keeps arriving (0 when none is awaited). */
  private watchDeadline(): number {
    if (this.deadline === 0) return 0;
    return Math.max(this.deadline, this.dataAt + this.marginMs);
  }

  private get marginMs(): number {
    return this.options.watchdogMarginMs ?? Math.max(1000, this.options.blockMs);
  }

  private newBlockingConnection(): Redis {
    const redis = createConnection(this.options, 'blocking', this.logger);
    // One timestamp per chunk received (64 KiB at most): a large reply in progress keeps its read alive.
    const onData = (): void => {
      if (redis === this.blockingConnection) this.dataAt = this.clock.now();
    };
    redis.on('connect', () => redis.stream.on('data', onData));
    return redis;
  }

  private replaceBlockingConnection(): void {
    const old = this.blockingConnection;
    this.generation++;
    this.inFlight = undefined;
    this.blockingConnection = this.newBlockingConnection();
    old?.disconnect();
  }
}

async function quit(redis: RedisClient): Promise<void> {
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  } catch {
    // already closed
  }
  redis.disconnect();
}
