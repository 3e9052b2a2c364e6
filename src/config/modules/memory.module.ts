import { ContainerModule } from 'inversify';
import { EntryStream } from '../../adapters/flunq-wire/entry-stream';
import { EntryStreamInbox } from '../../adapters/flunq-wire/entry-stream-inbox';
import { Clock } from '../../application/ports/clock.port';
import { InMemoryBacklog } from '../../adapters/memory/in-memory-backlog';
import { InMemoryDocumentCache } from '../../adapters/memory/in-memory-document-cache';
import { InMemoryStreamDeadLetterStore } from '../../adapters/memory/in-memory-dead-letter-store';
import { InMemoryStreamBroker } from '../../adapters/memory/in-memory-stream-broker';
import { InMemoryTaskHistory } from '../../adapters/memory/in-memory-task-history';
import { InMemoryTaskSource } from '../../adapters/memory/in-memory-task-source';
import { InMemoryTaskSubmission } from '../../adapters/memory/in-memory-task-submission';
import { bindFactory } from '../binding';
import { StreamSettings } from '../env';
import { CLOCK, DEAD_LETTER_STORE, DOCUMENT_CACHE, STREAM_BROKER, TASK_INBOX, TASK_SUBMISSION } from '../tokens';
import { DocumentCacheSettings } from './openapi.module';
import { BACKLOG_VIEW, TASK_HISTORY } from '../tokens';
import { taskLeaseMs } from './core.module';

/** The in-process consumer of `broker` for the stream settings. */
export function memoryTaskSource(broker: InMemoryStreamBroker, clock: Clock, stream: StreamSettings): InMemoryTaskSource {
  return new InMemoryTaskSource(broker, clock, {
    group: stream.group,
    consumer: stream.consumer,
    streams: stream.streams.length > 0 ? stream.streams : undefined,
    reclaimIdleMs: stream.reclaimEnabled ? stream.reclaimIdleMs : 0,
    blockMs: stream.blockMs,
    leaseMs: taskLeaseMs(stream),
  });
}

/**
 * The in-process stream (embedded mode and tests); replace STREAM_BROKER to share one between
 * containers. `wrap` lets the test profile put a fault-injecting stream around the consumer.
 */
export function memoryStreamModule(stream: StreamSettings, wrap: (source: EntryStream) => EntryStream = (source) => source): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, STREAM_BROKER, [CLOCK], (clock) => new InMemoryStreamBroker(clock));
    bindFactory(bind, TASK_INBOX, [STREAM_BROKER, CLOCK], (broker, clock) => new EntryStreamInbox(wrap(memoryTaskSource(broker, clock, stream))));
    bindFactory(bind, TASK_SUBMISSION, [STREAM_BROKER, CLOCK], (broker, clock) => new InMemoryTaskSubmission(broker, clock));
    // The in-process stream's dead letters, for the web console of embedded mode.
    bindFactory(bind, DEAD_LETTER_STORE, [STREAM_BROKER, CLOCK], (broker, clock) => new InMemoryStreamDeadLetterStore(broker, clock));
    bindFactory(bind, TASK_HISTORY, [STREAM_BROKER, CLOCK], (broker, clock) => new InMemoryTaskHistory(broker, clock));
    bindFactory(bind, BACKLOG_VIEW, [STREAM_BROKER, CLOCK], (broker, clock) => new InMemoryBacklog(broker, stream.group, clock));
  });
}

/** The document cache of embedded mode and tests: process memory, bounded by `documents.memoryBytes`. */
export function memoryDocumentCacheModule(documents: DocumentCacheSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, DOCUMENT_CACHE, [CLOCK], (clock) => new InMemoryDocumentCache(clock, documents.memoryBytes));
  });
}
