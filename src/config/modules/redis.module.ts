import { ContainerModule } from 'inversify';
import { BacklogBoard } from '../../application/activity/backlog-board';
import { EntryStreamInbox } from '../../adapters/flunq-wire/entry-stream-inbox';
import { RedisDeadLetterStore } from '../../adapters/redis/dead-letter-store';
import { DEFAULT_DOCUMENT_KEY_PREFIX, RedisDocumentCache } from '../../adapters/redis/document-cache';
import { RedisStreamTaskSource, RedisStreamTaskSourceOptions } from '../../adapters/redis/redis-stream-task-source';
import { RedisTaskHistory } from '../../adapters/redis/task-history';
import { bindFactory } from '../binding';
import { RedisSettings, StreamSettings } from '../env';
import { BACKLOG_VIEW, CLOCK, DEAD_LETTER_STORE, DOCUMENT_CACHE, LOGGER, METRICS, TASK_INBOX } from '../tokens';
import { DocumentCacheSettings } from './openapi.module';
import { TASK_HISTORY } from '../tokens';
import { taskLeaseMs } from './core.module';

export function redisTaskSourceOptions(redis: RedisSettings, stream: StreamSettings): RedisStreamTaskSourceOptions {
  return {
    url: redis.url,
    password: redis.password,
    clusterNodes: redis.clusterNodes,
    group: stream.group,
    consumer: stream.consumer,
    streams: stream.streams,
    pattern: stream.pattern,
    batch: stream.batch,
    blockMs: stream.blockMs,
    streamsPerRead: stream.streamsPerRead,
    reclaimEnabled: stream.reclaimEnabled,
    reclaimIdleMs: stream.reclaimIdleMs,
    reclaimIntervalMs: stream.reclaimIntervalMs,
    keyspaceNotifications: stream.keyspaceNotifications,
    rescanIntervalMs: stream.rescanIntervalMs,
    settledTtlMs: stream.settledTtlMs,
    leaseMs: taskLeaseMs(stream),
    taskKeys: redis.taskKeys,
  };
}

/** The Redis Streams task source and the dead letters on those streams (production profile). */
export function redisStreamModule(redis: RedisSettings, stream: StreamSettings): ContainerModule {
  const board = new BacklogBoard();
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      TASK_INBOX,
      [CLOCK, LOGGER, METRICS],
      (clock, logger, metrics) =>
        new EntryStreamInbox(new RedisStreamTaskSource({ ...redisTaskSourceOptions(redis, stream), onBacklog: (s) => board.record(s) }, clock, logger.child({ component: 'redis-stream' }), metrics)),
    );
    // What the audit counted on its last pass over the streams.
    bindFactory(bind, BACKLOG_VIEW, [], () => board);
    // For operator commands: its own connection, opened on first use, failing fast.
    bindFactory(bind, DEAD_LETTER_STORE, [CLOCK], (clock) => RedisDeadLetterStore.open(redis, clock, stream.pattern)).onDeactivation((store) => store.close());
    bindFactory(bind, TASK_HISTORY, [CLOCK], (clock) => RedisTaskHistory.open(redis, clock, stream.pattern)).onDeactivation((history) => history.close());
  });
}

/** The shared document cache in Redis: its own connection, opened when the first document is looked up. */
export function redisDocumentCacheModule(redis: RedisSettings, documents: DocumentCacheSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, DOCUMENT_CACHE, [LOGGER], (logger) => new RedisDocumentCache(redis, logger, { keyPrefix: DEFAULT_DOCUMENT_KEY_PREFIX, maxBodyBytes: documents.maxBodyBytes, commandTimeoutMs: documents.requestTimeoutMs })).onDeactivation((cache) => cache.close());
  });
}
