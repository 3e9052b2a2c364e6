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
    url: config.redisUrl,
    password: config.redisPassword,
    group: config.consumerGroup,
    consumer: config.consumerName,
    streams: config.streams,
    pattern: config.streamPattern,
    batch: config.streamBatch,
    blockMs: config.streamBlockMs,
    streamsPerRead: config.streamsPerRead,
    reclaimEnabled: config.reclaimEnabled,
    reclaimIdleMs: config.reclaimIdleMs,
    reclaimIntervalMs: config.reclaimIntervalMs,
    keyspaceNotifications: config.keyspaceNotifications,
    rescanIntervalMs: config.rescanIntervalMs,
    settledTtlMs: config.settledTtlMs,
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
