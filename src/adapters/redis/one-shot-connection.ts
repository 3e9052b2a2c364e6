import Redis, { Cluster } from 'ioredis';
import { isClusterSettings, RedisClient, redisOptions, RedisConnectionSettings } from './redis-connection';

/** Why Redis could not be used, in one line without the password. */
function problem(where: string, setting: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (/^NOAUTH\b/.test(message)) return `Redis at ${where} requires a password (NOAUTH): set REDIS_PASSWORD${setting === 'REDIS_URL' ? ' or give it in REDIS_URL' : ''}`;
  if (/^WRONGPASS\b|invalid password|AUTH.*without any password/i.test(message)) return `Redis at ${where} refused the password (WRONGPASS): check REDIS_PASSWORD${setting === 'REDIS_URL' ? ' or the password in REDIS_URL' : ''}`;
  if (code === 'ECONNREFUSED') return `cannot connect to Redis at ${where} (${setting}): connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot connect to Redis at ${where} (${setting}): host not found`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot connect to Redis at ${where} (${setting}): host unreachable (${code})`;
  return `cannot connect to Redis at ${where} (${setting}): ${message.split('\n')[0] ?? message}`;
}

/**
 * A connection for one operator command: connected and answering PING within `timeoutMs`, never
 * reconnecting. Rejects with an Error whose message is one line naming the address and the cause
 * (refused, unknown host, unreachable, NOAUTH, WRONGPASS), never the password.
 */
export async function connectOnce(settings: RedisConnectionSettings, timeoutMs: number): Promise<RedisClient> {
  let where: string;
  let redis: RedisClient;
  if (isClusterSettings(settings)) {
    const nodes = settings.clusterNodes ?? [];
    where = nodes.map((n) => `${n.host}:${n.port}`).join(',');
    redis = new Cluster(
      nodes.map((n) => ({ host: n.host, port: n.port })),
      { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { ...(settings.password ? { password: settings.password } : {}), maxRetriesPerRequest: 1, connectTimeout: timeoutMs, commandTimeout: 30_000 } },
    );
  } else {
    const options = redisOptions(settings);
    where = `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
    redis = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: 30_000 });
  }
  let last: unknown;
  // Also keeps ioredis from printing "Unhandled error event" with a stack trace.
  redis.on('error', (error: unknown) => {
    last ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'TIMEOUT' })), timeoutMs);
  });
  const ready = redis.connect().then(() => redis.ping());
  ready.catch(() => undefined);
  try {
    await Promise.race([ready, deadline]);
  } catch (error) {
    redis.disconnect();
    const cause = (error as { code?: unknown }).code === 'TIMEOUT' ? error : (last ?? error);
    throw new Error(problem(where, isClusterSettings(settings) ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL', cause), { cause });
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
