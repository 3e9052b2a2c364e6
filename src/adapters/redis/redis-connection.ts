import Redis, { RedisOptions } from 'ioredis';
import { Logger } from '../../application/ports/logger.port';

export interface RedisConnectionSettings {
  /** `host:port`, `host`, `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** AUTH password; overrides one given in the URL. */
  password?: string | undefined;
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

/**
 * A connection that reconnects for ever with capped backoff and never crashes the process:
 * every error is logged (rate-limited) instead of surfacing as an unhandled 'error' event.
 */
export function createConnection(settings: RedisConnectionSettings, role: ConnectionRole, logger: Logger): Redis {
  let lastLogged = 0;
  let suppressed = 0;
  const redis = new Redis({
    ...redisOptions(settings),
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
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5000) {
      suppressed++;
      return;
    }
    lastLogged = now;
    logger.warn('redis connection error', { role, error: error.message, suppressed });
    suppressed = 0;
  });
  return redis;
}
