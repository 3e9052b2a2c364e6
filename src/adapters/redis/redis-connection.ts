import Redis, { Cluster, RedisOptions } from 'ioredis';
import { Logger } from '../../application/ports/logger.port';

export interface RedisConnectionSettings {
  /** `host:port`, `host`, `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** AUTH password; overrides one given in the URL. */
  password?: string | undefined;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); absent or empty: the single Redis at `url`. */
  clusterNodes?: readonly ClusterNode[] | undefined;
}

export interface ClusterNode {
  host: string;
  port: number;
}

/** A single Redis or a Redis Cluster: the commands both offer (keyed commands are routed by the cluster client). */
export type RedisClient = Redis | Cluster;

/** Whether the settings name a Redis Cluster. */
export function isClusterSettings(settings: RedisConnectionSettings): boolean {
  return (settings.clusterNodes?.length ?? 0) > 0;
}

/** ioredis options for a URL in any of the accepted forms (the password never appears in logs). */
export function redisOptions(settings: RedisConnectionSettings): RedisOptions {
  const url = settings.url.trim();
  let options: RedisOptions;
  if (/^rediss?:\/\//i.test(url)) {
    const parsed = new URL(url);
    options = {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
      port: parsed.port ? Number(parsed.port) : 6379,
      db: parsed.pathname && parsed.pathname !== '/' ? Number(parsed.pathname.slice(1)) || 0 : 0,
    };
    if (parsed.username) options.username = decodeURIComponent(parsed.username);
    if (parsed.password) options.password = decodeURIComponent(parsed.password);
    if (parsed.protocol.toLowerCase() === 'rediss:') options.tls = { servername: options.host };
  } else {
    const m = /^\[?([^\]]*?)\]?(?::(\d{1,5}))?$/.exec(url);
    const host = m?.[1] && m[1] !== '' ? m[1] : 'localhost';
    // An IPv6 literal without brackets ("::1") has colons but no port.
    if (!url.startsWith('[') && (url.match(/:/g) ?? []).length > 1) options = { host: url, port: 6379 };
    else options = { host, port: m?.[2] ? Number(m[2]) : 6379 };
  }
  if (settings.password) options.password = settings.password;
  return options;
}

export type ConnectionRole = 'commands' | 'blocking' | 'notifications';

/** Rate-limited logging of connection errors, so that an outage writes a line every few seconds, not one per attempt. */
function logErrors(emitter: { on(event: 'error', listener: (error: Error) => void): unknown }, role: string, logger: Logger): void {
  let lastLogged = 0;
  let suppressed = 0;
  emitter.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5000) {
      suppressed++;
      return;
    }
    lastLogged = now;
    logger.warn('redis connection error', { role, error: error.message, suppressed });
    suppressed = 0;
  });
}

/**
 * The commands client of a Redis Cluster: keyed commands (and scripts, by their keys) go to the
 * primary serving the key's slot, following MOVED and ASK redirections during failovers and slot
 * migrations. No auto-pipelining: an explicit or automatic pipeline fails as a whole when a
 * redirection hits part of it, a command sent on its own is redirected alone.
 */
export function createClusterClient(settings: RedisConnectionSettings, logger: Logger): Cluster {
  const cluster = new Cluster(
    (settings.clusterNodes ?? []).map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: {
        ...(settings.password ? { password: settings.password } : {}),
        connectionName: 'flunq-executor-commands',
        connectTimeout: 5000,
        commandTimeout: 10_000,
        maxRetriesPerRequest: 2,
      },
      clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 2000),
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      retryDelayOnMoved: 0,
      maxRedirections: 32,
      slotsRefreshInterval: 2000,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
    },
  );
  logErrors(cluster, 'commands', logger);
  cluster.on('node error', (error: Error, node: string) => logger.debug('redis cluster node error', { node, error: error.message }));
  return cluster;
}

/**
 * A connection that reconnects for ever with capped backoff and never crashes the process:
 * every error is logged (rate-limited) instead of surfacing as an unhandled 'error' event.
 */
export function createConnection(settings: RedisConnectionSettings, role: ConnectionRole, logger: Logger, node?: ClusterNode): Redis {
  const redis = new Redis({
    ...(node ? { host: node.host, port: node.port, ...(settings.password ? { password: settings.password } : {}) } : redisOptions(settings)),
    connectionName: `flunq-executor-${role}`,
    // Commands wait for at most two reconnection attempts, then fail, so callers back off.
    maxRetriesPerRequest: role === 'blocking' ? 0 : 2,
    // A blocking read must never be queued and replayed after a reconnect (it could wedge).
    enableOfflineQueue: role !== 'blocking',
    connectTimeout: 5000,
    // A command on a hung server fails instead of waiting for ever (blocking reads have a watchdog).
    ...(role === 'commands' ? { commandTimeout: 10_000 } : {}),
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 2000),
    autoResubscribe: true,
    lazyConnect: false,
    enableAutoPipelining: role === 'commands',
  });
  logErrors(redis, role, logger);
  return redis;
}
