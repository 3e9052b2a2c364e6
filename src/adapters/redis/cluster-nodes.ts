/**
 * What a Redis Cluster client cannot route by key: keyspace notifications, which a node publishes
 * only to its own subscribers, and SCAN, which walks one node's keys. Both are done per primary.
 *
 * Owns: one notification connection per primary (opened when a node becomes a primary, closed when
 * it stops being one, followed on every topology refresh of the cluster client), the channel they
 * subscribe to, and nothing else. The SCAN helpers own no state: the cursor names the node.
 */
import { EventEmitter } from 'node:events';
import Redis, { Cluster } from 'ioredis';
import { Logger } from '../../application/ports/logger.port';
import { isConnectionError, messageOf } from './replies';
import { createConnection, RedisConnectionSettings } from './redis-connection';

/** The part of a subscriber connection that discovery uses: a single Redis, or every primary of a cluster. */
export interface NotificationSource {
  readonly status: string;
  on(event: 'message', listener: (channel: string, key: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  subscribe(channel: string): Promise<unknown>;
}

/** `host:port` of a node connection of the cluster client. */
export function nodeAddress(node: Redis): string {
  return `${node.options.host ?? 'localhost'}:${node.options.port ?? 6379}`;
}

/** The primaries, ordered by address (a stable order for the SCAN cursor). */
export function primariesOf(cluster: Cluster): Redis[] {
  return cluster.nodes('master').sort((a, b) => (nodeAddress(a) < nodeAddress(b) ? -1 : nodeAddress(a) > nodeAddress(b) ? 1 : 0));
}

/**
 * One step of a SCAN over every primary. The cursor is `0` (start) or `<host:port>|<node cursor>`;
 * the step returns `0` when the last primary is done. A primary that fails (down during a failover)
 * is skipped for this pass: the next pass covers whatever it holds then.
 */
export async function clusterScanStep(cluster: Cluster, cursor: string, args: (string | number)[], logger: Logger): Promise<[string, string[]]> {
  const nodes = primariesOf(cluster);
  let index = 0;
  let nodeCursor = '0';
  if (cursor !== '0') {
    const bar = cursor.lastIndexOf('|');
    const address = cursor.slice(0, bar);
    index = nodes.findIndex((n) => nodeAddress(n) === address);
    if (index >= 0) nodeCursor = cursor.slice(bar + 1);
    else index = nodes.findIndex((n) => nodeAddress(n) > address);
    if (index < 0) return ['0', []];
  }
  const node = nodes[index];
  if (!node) {
    if (cluster.status !== 'ready') throw new Error(`redis cluster is not connected (${cluster.status})`);
    return ['0', []];
  }
  let next = '0';
  let keys: string[] = [];
  try {
    [next, keys] = (await node.call('SCAN', nodeCursor, ...args)) as [string, string[]];
  } catch (error) {
    if (!isConnectionError(error) && !messageOf(error).includes('LOADING')) throw error;
    logger.debug('skipping a cluster node that cannot be scanned now', { node: nodeAddress(node), error: messageOf(error) });
  }
  if (next !== '0') return [`${nodeAddress(node)}|${next}`, keys];
  const following = nodes[index + 1];
  return [following ? `${nodeAddress(following)}|0` : '0', keys];
}

/**
 * Keyspace notifications of every primary, as one subscriber connection would deliver them.
 * 'ready' is emitted whenever notifications may have been missed (a subscriber connected, or the set
 * of primaries changed: a failover or a new node), 'close' when a primary's subscriber dropped.
 */
export class ClusterNotifications extends EventEmitter implements NotificationSource {
  private readonly subscribers = new Map<string, Redis>();
  private channel: string | undefined;
  private closed = false;
  /** Run on each primary when it is first seen, before notifications from it count (see onPrimary). */
  private prepare: (node: Redis) => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly cluster: Cluster,
    private readonly settings: RedisConnectionSettings,
    private readonly logger: Logger,
  ) {
    super();
    const sync = (): void => this.sync();
    cluster.on('ready', sync);
    cluster.on('refresh', sync);
    cluster.on('+node', sync);
    cluster.on('-node', sync);
  }

  /** 'ready' when every primary has a connected subscriber. */
  get status(): string {
    if (this.subscribers.size === 0) return 'connecting';
    for (const sub of this.subscribers.values()) if (sub.status !== 'ready') return sub.status;
    return 'ready';
  }

  /**
   * `prepare` runs on each primary when it is first seen (at start-up, and when a replica is
   * promoted or a node added), before the 'ready' that tells that notifications may have been missed.
   */
  onPrimary(prepare: (node: Redis) => Promise<void>): void {
    this.prepare = prepare;
  }

  /** Subscribes every primary's connection (and those of primaries to come). */
  async subscribe(channel: string): Promise<unknown> {
    this.channel = channel;
    this.sync();
    if (this.subscribers.size === 0) throw new Error('no cluster primary known yet');
    return Promise.all([...this.subscribers.values()].map((sub) => sub.subscribe(channel)));
  }

  close(): void {
    this.closed = true;
    for (const sub of this.subscribers.values()) sub.disconnect();
    this.subscribers.clear();
  }

  /** Opens a subscriber for each new primary and closes those of nodes that are no longer primaries. */
  private sync(): void {
    if (this.closed) return;
    const primaries = new Map(this.cluster.nodes('master').map((n) => [nodeAddress(n), n]));
    let changed = false;
    const added: Redis[] = [];
    for (const [address, sub] of this.subscribers) {
      if (primaries.has(address)) continue;
      this.subscribers.delete(address);
      sub.disconnect();
      changed = true;
    }
    for (const [address, node] of primaries) {
      if (this.subscribers.has(address)) continue;
      this.subscribers.set(address, this.open(address, node));
      added.push(node);
      changed = true;
    }
    if (!changed) return;
    this.logger.debug('following the primaries of the redis cluster', { primaries: [...primaries.keys()] });
    void Promise.all(added.map((node) => this.prepare(node).catch((error: unknown) => this.logger.debug('could not prepare a cluster primary', { node: nodeAddress(node), error: messageOf(error) })))).then(() => {
      if (!this.closed) this.emit('ready');
    });
  }

  private open(address: string, node: Redis): Redis {
    const sub = createConnection(this.settings, 'notifications', this.logger, { host: node.options.host ?? 'localhost', port: node.options.port ?? 6379 });
    sub.on('message', (channel: string, key: string) => this.emit('message', channel, key));
    sub.on('ready', () => {
      if (this.subscribers.get(address) === sub) this.emit('ready');
    });
    sub.on('close', () => {
      if (this.subscribers.get(address) === sub) this.emit('close');
    });
    if (this.channel) sub.subscribe(this.channel).catch((error: unknown) => this.logger.debug('could not subscribe to a cluster primary yet', { node: address, error: messageOf(error) }));
    return sub;
  }
}
