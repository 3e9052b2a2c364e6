import { ContainerModule } from 'inversify';
import { EntryStreamInbox } from '../../adapters/flunq-wire/entry-stream-inbox';
import { InMemoryStreamBroker } from '../../adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../adapters/memory/in-memory-task-source';
import { InMemoryTaskSubmission } from '../../adapters/memory/in-memory-task-submission';
import { bindFactory } from '../binding';
import { StreamSettings } from '../env';
import { CLOCK, STREAM_BROKER, TASK_INBOX, TASK_SUBMISSION } from '../tokens';
import { taskLeaseMs } from './core.module';

/** The in-process stream (embedded mode and tests); replace STREAM_BROKER to share one between containers. */
export function memoryStreamModule(stream: StreamSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, STREAM_BROKER, [CLOCK], (clock) => new InMemoryStreamBroker(clock));
    bindFactory(
      bind,
      TASK_INBOX,
      [STREAM_BROKER, CLOCK],
      (broker, clock) =>
        new EntryStreamInbox(
          new InMemoryTaskSource(broker, clock, {
            group: stream.group,
            consumer: stream.consumer,
            streams: stream.streams.length > 0 ? stream.streams : undefined,
            reclaimIdleMs: stream.reclaimEnabled ? stream.reclaimIdleMs : 0,
            blockMs: stream.blockMs,
            leaseMs: taskLeaseMs(stream),
          }),
        ),
    );
    bindFactory(bind, TASK_SUBMISSION, [STREAM_BROKER, CLOCK], (broker, clock) => new InMemoryTaskSubmission(broker, clock));
  });
}
