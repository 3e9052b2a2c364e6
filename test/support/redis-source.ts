import { EntryStream } from '../../src/adapters/flunq-wire/entry-stream';
import { InMemoryLogger } from './in-memory-logger';
import { InMemoryMetrics } from './in-memory-metrics';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { RedisStreamTaskSource, RedisStreamTaskSourceOptions } from '../../src/adapters/redis/redis-stream-task-source';

export function redisSourceOptions(url: string, overrides: Partial<RedisStreamTaskSourceOptions> = {}): RedisStreamTaskSourceOptions {
  return {
    url,
    group: 'executor-service',
    consumer: 'executor-test',
    streams: [],
    pattern: 'tenant:*:workflow:*:events',
    batch: 10,
    blockMs: 200,
    streamsPerRead: 100,
    reclaimEnabled: true,
    reclaimIdleMs: 300,
    reclaimIntervalMs: 50,
    keyspaceNotifications: true,
    rescanIntervalMs: 60_000,
    settledTtlMs: 60_000,
    leaseMs: overrides.reclaimIdleMs ?? 300,
    ...overrides,
  };
}

export function newRedisSource(url: string, overrides: Partial<RedisStreamTaskSourceOptions> = {}, logger = new InMemoryLogger(), metrics = new InMemoryMetrics()): RedisStreamTaskSource {
  return new RedisStreamTaskSource(redisSourceOptions(url, overrides), new SystemClock(), logger, metrics);
}

/** Closes sources that a test created (also the ones it "crashed"). */
export async function closeAll(sources: EntryStream[]): Promise<void> {
  for (const s of sources.splice(0)) await s.close().catch(() => undefined);
}
