/**
 * Discovery: which streams exist and have this consumer group. Keyspace notifications name new
 * streams and entries; an incremental SCAN finds what notifications missed (or everything, when
 * they are unavailable); groups are created with the create-group script, which also flags a
 * group created here for a history scan. Configured (fixed) streams are not discovered but get
 * their groups here too.
 *
 * Owns: whether set-up is needed (after start-up, a reconnect, or a configured stream lost),
 * whether notifications are configured and subscribed, the SCAN cursor and when the next scan is
 * due, and the listeners told when notifications may have been missed.
 *
 * Who changes what: only this class changes its own state, and the membership of the stream set
 * (admit, reject, hold for a history scan, remove) apart from the history scan releasing what it
 * held and the audit dropping a stream whose group was destroyed; other parts call `forget`,
 * `createGroup` or `recheck` when a stream turns out to be gone.
 */
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { SourceConnections } from './connections';
import Redis from 'ioredis';
import { execBatch } from './batch';
import { ClusterNotifications } from './cluster-nodes';
import { isConnectionError, messageOf } from './replies';
import { DEFAULT_STREAM_PATTERN, FALLBACK_POLL_MS, RedisStreamTaskSourceOptions } from './source-options';
import { globToRegExp, historyScanKey } from './stream-keys';
import { StreamSet } from './stream-set';

export type DiscoveryOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'streams' | 'pattern' | 'blockMs' | 'rescanIntervalMs'>;

const SCAN_COUNT = 1000;

export class Discovery {
  /** Configured streams only: nothing is discovered. */
  readonly fixed: boolean;
  private readonly pattern: string;
  private readonly patternRe: RegExp;
  private setupNeededFlag = true;
  /** notify-keyspace-events has the flags we need. */
  private notifyConfigured = false;
  /** The notification connection is subscribed to the XADD channel. */
  private subscribed = false;
  private subscribing: Promise<void> | undefined;
  private scanCursor: string | undefined;
  private nextScanAt = 0;
  private readonly missedListeners: (() => void)[] = [];

  constructor(
    private readonly options: DiscoveryOptions,
    private readonly connections: SourceConnections,
    private readonly streams: StreamSet,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.fixed = options.streams.length > 0;
    this.pattern = options.pattern || DEFAULT_STREAM_PATTERN;
    this.patternRe = globToRegExp(this.pattern);
    connections.commands.on('ready', () => {
      // After any (re)connect: Redis may have restarted (config reset, keys and groups gone).
      this.setupNeededFlag = true;
    });
    const sub = connections.notifications;
    if (sub) {
      sub.on('message', (_channel: string, key: string) => this.onNotification(key));
      sub.on('ready', () => {
        // Notifications sent while disconnected are lost.
        this.notificationsMissed();
        void this.subscribe();
      });
      sub.on('close', () => {
        this.subscribed = false;
      });
      void this.subscribe();
    }
    // A node that becomes a primary later (a promoted replica, a new node) gets the flags too.
    if (sub instanceof ClusterNotifications) sub.onPrimary((node) => (this.notifyConfigured ? this.configureNode(node) : Promise.resolve()));
  }

  get setupNeeded(): boolean {
    return this.setupNeededFlag;
  }

  /** Whether new entries and streams are learnt from notifications (else: by polling). */
  get notificationsActive(): boolean {
    return this.notifyConfigured && this.subscribed;
  }

  /** `listener` runs whenever notifications may have been lost (a reconnect, a new subscription). */
  onNotificationsMissed(listener: () => void): void {
    this.missedListeners.push(listener);
  }

  /** Time until the next SCAN step is due, ms (0: a scan is in progress; Infinity: nothing is discovered). */
  scanDueIn(now: number): number {
    if (this.fixed) return Infinity;
    return this.scanCursor !== undefined ? 0 : this.nextScanAt - now;
  }

  /**
   * Notification config, then the configured streams' groups or a full SCAN; every known stream is
   * then dirty. Throws when Redis is not connected.
   */
  async setUp(): Promise<void> {
    await this.connections.commandsReady(Math.max(1000, this.options.blockMs));
    const status = this.connections.commands.status;
    if (status !== 'ready') throw new Error(`redis is not connected (${status})`);
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
    this.setupNeededFlag = false;
  }

  /** Groups for streams named by notifications, and one step of the incremental SCAN when due. */
  async step(): Promise<void> {
    if (this.fixed) return;
    const discovered = this.streams.takeDiscovered();
    if (discovered.length > 0) await this.createGroups(discovered.filter((key) => !this.streams.isKnown(key)));
    if (this.scanCursor === undefined) {
      if (this.clock.now() < this.nextScanAt) return;
      this.scanCursor = '0';
      this.streams.clearRejected();
    }
    this.scanCursor = await this.scanStep(this.scanCursor);
    if (this.scanCursor === '0') {
      this.scanCursor = undefined;
      this.nextScanAt = this.clock.now() + this.rescanPeriod();
    }
  }

  /** XGROUP CREATE key group 0 MKSTREAM (BUSYGROUP is fine), with the history flag. A key that fails is not read. */
  async createGroup(key: string, explicit: boolean): Promise<boolean> {
    if (this.streams.isHeldForHistory(key)) return true;
    try {
      if (Number(await this.connections.commands.flunqCreateGroup(key, historyScanKey(key, this.options.group), this.options.group)) > 0) {
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

  /** The stream cannot be read: configured streams are set up again, others are no longer read. */
  forget(stream: string, reason: string): void {
    if (this.fixed && !reason.includes('WRONGTYPE')) {
      this.setupNeededFlag = true; // recreate the configured stream and its group
      return;
    }
    this.streams.remove(stream);
    this.logger.debug('no longer reading stream', { stream, reason });
  }

  /**
   * A read found a stream or its group missing (Redis restarted without persistence, key deleted
   * or replaced): each stream of that read is checked; groups are re-created where the key is (or,
   * configured, may become) a stream, and other keys are no longer read.
   */
  async recheck(streams: readonly string[], error: unknown): Promise<void> {
    this.logger.warn('a stream or its consumer group is missing; re-creating groups', { error: messageOf(error) });
    for (const s of streams) {
      const type = await this.connections.commands.type(s);
      if (type === 'stream' || (type === 'none' && this.fixed)) await this.createGroup(s, this.fixed);
      else this.forget(s, `key is ${type}`);
    }
  }

  private onNotification(key: string): void {
    if (this.streams.entryAdded(key)) return;
    if (!this.fixed && this.patternRe.test(key) && !this.streams.isRejected(key)) this.streams.discover(key);
  }

  private notificationsMissed(): void {
    for (const listener of this.missedListeners) listener();
  }

  private async configureNotifications(): Promise<void> {
    const sub = this.connections.notifications;
    if (!sub) {
      this.notifyConfigured = false;
      return;
    }
    if (!this.subscribed && sub.status === 'ready') await this.subscribe();
    try {
      // On a cluster every primary (later primaries when they appear, see the constructor).
      for (const node of this.connections.configurableNodes()) {
        try {
          await this.configureNode(node);
        } catch (error) {
          // A cluster node that is down now is configured at the next set-up; a refusal means polling.
          if (!this.connections.cluster || !isConnectionError(error)) throw error;
        }
      }
      this.notifyConfigured = true;
    } catch (error) {
      this.logger.warn('keyspace notifications unavailable; discovering streams by polling', { error: messageOf(error) });
      this.notifyConfigured = false;
    }
  }

  /** Adds the notification flags a node lacks (never drops flags set for other consumers of notifications). */
  private async configureNode(node: Redis): Promise<void> {
    const reply = (await node.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    const flags = reply[1] ?? '';
    const hasType = flags.includes('t') || flags.includes('A');
    if (flags.includes('E') && hasType) return;
    const next = flags + (flags.includes('E') ? '' : 'E') + (hasType ? '' : 't');
    await node.call('CONFIG', 'SET', 'notify-keyspace-events', next);
    this.logger.info('enabled keyspace notifications for stream events', { flags: next });
  }

  private subscribe(): Promise<void> {
    const sub = this.connections.notifications;
    if (!sub || this.subscribed || this.connections.closed) return Promise.resolve();
    this.subscribing ??= sub
      .subscribe(`__keyevent@${this.connections.cluster ? 0 : ((this.connections.commands as Redis).options.db ?? 0)}__:xadd`)
      .then(
        () => {
          this.subscribed = true;
          this.notificationsMissed();
        },
        (error: unknown) => this.logger.debug('could not subscribe to keyspace notifications yet', { error: messageOf(error) }),
      )
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  private rescanPeriod(): number {
    return this.notificationsActive ? this.options.rescanIntervalMs : FALLBACK_POLL_MS;
  }

  /** One SCAN … MATCH pattern TYPE stream step; creates groups for new keys. Returns the next cursor. */
  private async scanStep(cursor: string): Promise<string> {
    const [next, keys] = await this.connections.scanStep(cursor, ['MATCH', this.pattern, 'TYPE', 'stream', 'COUNT', SCAN_COUNT]);
    await this.createGroups(keys.filter((key) => !this.streams.isKnown(key) && !this.streams.isRejected(key)));
    return next;
  }

  /** createGroup for many keys in one pipelined round trip. */
  private async createGroups(candidates: string[]): Promise<void> {
    const keys = candidates.filter((key) => !this.streams.isHeldForHistory(key));
    if (keys.length === 0) return;
    const group = this.options.group;
    const replies = (await execBatch(this.connections.commands, this.connections.cluster !== undefined, keys.map((key) => ({ key, send: (t) => t.flunqCreateGroup(key, historyScanKey(key, group), group) })))) ?? [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const [error, created] = replies[i] ?? [new Error('no reply'), null];
      if (error) {
        if (isConnectionError(error)) throw error;
        this.streams.reject(key);
        this.logger.warn('ignoring a key that cannot be read as a stream', { stream: key, error: messageOf(error) });
        continue;
      }
      if (Number(created) > 0) this.startHistoryScan(key);
      else this.streams.admit(key);
    }
  }

  /** The group was created by this process: its history is scanned for outcomes before the stream is read. */
  private startHistoryScan(key: string): void {
    this.streams.holdForHistory(key);
    this.logger.debug('new consumer group: scanning the stream history for outcomes before reading it', { stream: key });
  }
}
