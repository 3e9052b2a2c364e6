import { ContainerModule } from 'inversify';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { EntryStreamInbox } from '../../adapters/flunq-wire/entry-stream-inbox';
import { RedisStreamTaskSource, RedisStreamTaskSourceOptions } from '../../adapters/redis/redis-stream-task-source';
import { AppConfig } from '../env';
import { taskLeaseMs } from './core.module';

export function redisTaskSourceOptions(config: AppConfig): RedisStreamTaskSourceOptions {
  return {
    url: config.redis.url,
    password: config.redis.password,
    group: config.stream.group,
    consumer: config.stream.consumer,
    streams: config.stream.streams,
    pattern: config.stream.pattern,
    batch: config.stream.batch,
    blockMs: config.stream.blockMs,
    streamsPerRead: config.stream.streamsPerRead,
    reclaimEnabled: config.stream.reclaimEnabled,
    reclaimIdleMs: config.stream.reclaimIdleMs,
    reclaimIntervalMs: config.stream.reclaimIntervalMs,
    keyspaceNotifications: config.stream.keyspaceNotifications,
    rescanIntervalMs: config.stream.rescanIntervalMs,
    settledTtlMs: config.stream.settledTtlMs,
    leaseMs: taskLeaseMs(config),
  };
}

/** The Redis Streams task source (production profile). */
export const redisStreamModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.TaskInbox).toResolvedValue(
    (config: AppConfig, clock: Clock, logger: Logger, metrics: Metrics) =>
      new EntryStreamInbox(new RedisStreamTaskSource(redisTaskSourceOptions(config), clock, logger.child({ component: 'redis-stream' }), metrics)),
    [TOKENS.Config, TOKENS.Clock, TOKENS.Logger, TOKENS.Metrics],
  );
});
