import { createHash } from 'node:crypto';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { RateBucket, RateLimiter, Reservation } from '../../application/ports/rate-limiter.port';
import { loadScripts } from './lua-scripts';
import { createClusterClient, createConnection, isClusterSettings, RedisClient, RedisConnectionSettings } from './redis-connection';

export interface RedisRateLimiterOptions {
  connection: RedisConnectionSettings;
  /** Prefix of every bucket's key (tests use a unique one). Default `flunq:ratelimit:`. */
  keyPrefix?: string;
}

interface RateLimitCommand {
  flunqRateLimit(key: string, mode: 'reserve' | 'push' | 'release', now: number, intervalMs: number, burst: number, limit: number): Promise<[number, number]>;
}

type ScriptedClient = RedisClient & RateLimitCommand;

/**
 * Rate-limit buckets in Redis, shared by every replica on the same Redis (or Redis Cluster): one
 * key per bucket holding its GCRA state, changed by one Lua script (`scripts/rate-limit.lua`) in one
 * round trip, and expiring once the bucket is idle. The connection is opened on first use, so an
 * executor without rate limits never opens it.
 */
export class RedisRateLimiter implements RateLimiter {
  private client: ScriptedClient | undefined;
  private readonly prefix: string;

  constructor(
    private readonly options: RedisRateLimiterOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.prefix = options.keyPrefix ?? 'flunq:ratelimit:';
  }

  async reserve(bucket: RateBucket, maxWaitMs: number): Promise<Reservation> {
    const [granted, ms] = await this.redis().flunqRateLimit(redisKey(this.prefix, bucket.key), 'reserve', this.clock.now(), bucket.shape.intervalMs, bucket.shape.burst, Math.max(0, Math.floor(maxWaitMs)));
    return granted === 1 ? { granted: true, waitMs: ms } : { granted: false, retryAfterMs: ms };
  }

  async release(bucket: RateBucket): Promise<void> {
    await this.redis().flunqRateLimit(redisKey(this.prefix, bucket.key), 'release', this.clock.now(), bucket.shape.intervalMs, bucket.shape.burst, 0);
  }

  async pushBack(bucket: RateBucket, untilMs: number): Promise<void> {
    await this.redis().flunqRateLimit(redisKey(this.prefix, bucket.key), 'push', this.clock.now(), bucket.shape.intervalMs, bucket.shape.burst, Math.ceil(untilMs));
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  private redis(): ScriptedClient {
    if (this.client) return this.client;
    const { connection } = this.options;
    const client = isClusterSettings(connection) ? createClusterClient(connection, this.logger) : createConnection(connection, 'commands', this.logger);
    client.defineCommand('flunqRateLimit', { numberOfKeys: 1, lua: loadScripts().flunqRateLimit });
    this.client = client as ScriptedClient;
    return this.client;
  }
}

/** Longest bucket key written as is; longer ones (long paths of `per: operation`) are hashed. */
const MAX_PLAIN_KEY = 512;

function redisKey(prefix: string, key: string): string {
  return prefix + (key.length <= MAX_PLAIN_KEY ? key : `h:${createHash('sha256').update(key).digest('hex')}`);
}

