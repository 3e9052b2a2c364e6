import { ContainerModule } from 'inversify';
import { NatsDeadLetterStore } from '../../adapters/nats/dead-letter-store';
import { documentBucketName, NatsDocumentCache } from '../../adapters/nats/document-cache';
import { NatsTaskInbox, NatsTaskInboxOptions } from '../../adapters/nats/nats-task-inbox';
import { NatsTaskHistory } from '../../adapters/nats/task-history';
import { bindFactory } from '../binding';
import { ExecutorSettings, NatsSettings, StreamSettings } from '../env';
import { CLOCK, DEAD_LETTER_STORE, DOCUMENT_CACHE, LOGGER, TASK_INBOX } from '../tokens';
import { DocumentCacheSettings } from './openapi.module';
import { TASK_HISTORY } from '../tokens';
import { taskLeaseMs } from './core.module';

/**
 * JetStream's max_deliver for EXECUTOR_MAX_DELIVERIES: the executor dead-letters a message on the
 * delivery after the last allowed one, so JetStream must deliver it once more for that; one more
 * again in case the process dies while writing the dead letter.
 */
export function jetStreamMaxDeliver(maxDeliveries: number): number {
  return maxDeliveries + 2;
}

/**
 * The duplicate window of a stream the executor creates: a redelivery (after the ack wait) plus the
 * longest task run plus a minute of margin, and never less than JetStream's default of two minutes.
 */
export function duplicateWindowMs(stream: Pick<StreamSettings, 'reclaimIdleMs'>, executor: Pick<ExecutorSettings, 'taskTimeoutMs'>): number {
  return Math.max(120_000, stream.reclaimIdleMs + executor.taskTimeoutMs + 60_000);
}

export function natsTaskInboxOptions(nats: NatsSettings, stream: StreamSettings, executor: Pick<ExecutorSettings, 'maxDeliveries' | 'taskTimeoutMs'> & { fair?: { enabled: boolean } }): NatsTaskInboxOptions {
  return {
    connection: { url: nats.url, credsFile: nats.credsFile },
    stream: nats.stream,
    subjectPrefix: nats.subjectPrefix,
    durable: stream.group,
    consumerName: stream.consumer,
    ackWaitMs: stream.reclaimIdleMs,
    maxDeliver: jetStreamMaxDeliver(executor.maxDeliveries),
    duplicateWindowMs: duplicateWindowMs(stream, executor),
    blockMs: stream.blockMs,
    settledTtlMs: stream.settledTtlMs,
    leaseMs: taskLeaseMs(stream),
    // Fair dispatch reads through the read gate: one consumer per tenant (ADR 0009).
    perTenant: executor.fair?.enabled === true,
  };
}

/** The NATS JetStream task inbox and the dead letters on that stream (production profile, EVENT_STREAM_TYPE=nats). */
export function natsStreamModule(nats: NatsSettings, stream: StreamSettings, executor: ExecutorSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, TASK_INBOX, [CLOCK, LOGGER], (clock, logger) => new NatsTaskInbox(natsTaskInboxOptions(nats, stream, executor), clock, logger.child({ component: 'nats-jetstream' })));
    // For operator commands: its own connection, opened on first use, failing fast.
    bindFactory(bind, DEAD_LETTER_STORE, [CLOCK], (clock) => new NatsDeadLetterStore({ connection: { url: nats.url, credsFile: nats.credsFile }, stream: nats.stream, subjectPrefix: nats.subjectPrefix }, clock)).onDeactivation((store) => store.close());
    bindFactory(bind, TASK_HISTORY, [CLOCK], (clock) => new NatsTaskHistory({ connection: { url: nats.url, credsFile: nats.credsFile }, stream: nats.stream, subjectPrefix: nats.subjectPrefix }, clock)).onDeactivation((history) => history.close());
  });
}

/** The shared document cache in a JetStream key-value bucket beside NATS_STREAM: its own connection, opened when the first document is looked up. */
export function natsDocumentCacheModule(nats: NatsSettings, documents: DocumentCacheSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(
      bind,
      DOCUMENT_CACHE,
      [CLOCK],
      (clock) =>
        new NatsDocumentCache(
          { connection: { url: nats.url, credsFile: nats.credsFile }, bucket: documentBucketName(nats.stream), bucketTtlMs: documents.entryTtlMs, maxBodyBytes: documents.maxBodyBytes, requestTimeoutMs: documents.requestTimeoutMs },
          clock,
        ),
    ).onDeactivation((cache) => cache.close());
  });
}
