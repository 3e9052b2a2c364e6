import 'reflect-metadata';
import { EntryStreamInbox } from '../../src/adapters/flunq-wire/entry-stream-inbox';
import { InMemoryLogger } from './in-memory-logger';
import { InMemoryMetrics } from './in-memory-metrics';
import { RedisStreamTaskSource } from '../../src/adapters/redis/redis-stream-task-source';
import { replace } from '../../src/config/binding';
import { createExecutor } from '../../src/config/container';
import { loadConfig } from '../../src/config/env';
import { ExecutorService } from '../../src/config/service';
import { LOGGER, METRICS } from '../../src/config/tokens';

export interface InProcessExecutor {
  service: ExecutorService;
  source: RedisStreamTaskSource;
  logger: InMemoryLogger;
  metrics: InMemoryMetrics;
  stop(): Promise<void>;
}

/** The production profile in this process (real Redis, system clock), with in-memory logs and metrics. */
export async function startExecutor(url: string, env: Record<string, string> = {}): Promise<InProcessExecutor> {
  const config = loadConfig({
    REDIS_URL: url,
    HOSTNAME: 'it',
    EXECUTOR_STREAM_BLOCK: '200ms',
    EXECUTOR_RECLAIM_IDLE: '500ms',
    EXECUTOR_RECLAIM_INTERVAL: '100ms',
    EXECUTOR_SHUTDOWN_TIMEOUT: '5s',
    RETRY_BASE_DELAY_MS: '50',
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    ...env,
  });
  const logger = new InMemoryLogger();
  const metrics = new InMemoryMetrics();
  const { service, inbox } = await createExecutor(config, { profile: 'production', replacements: [replace(LOGGER, logger), replace(METRICS, metrics)] });
  const source = (inbox as EntryStreamInbox).stream as RedisStreamTaskSource;
  await service.start();
  let stopped: Promise<void> | undefined;
  return { service, source, logger, metrics, stop: () => (stopped ??= service.stop()) };
}
