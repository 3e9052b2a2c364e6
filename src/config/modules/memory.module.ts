import { ContainerModule } from 'inversify';
import { Clock } from '../../application/ports/clock.port';
import { TOKENS } from '../../application/ports/tokens';
import { InMemoryStreamBroker } from '../../adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../adapters/memory/in-memory-task-source';
import { InMemoryTaskSubmission } from '../../adapters/memory/in-memory-task-submission';
import { EntryStreamInbox } from '../../adapters/flunq-wire/entry-stream-inbox';
import { AppConfig } from '../env';
import { taskLeaseMs } from './core.module';

export const BROKER = Symbol('InMemoryStreamBroker');

/** The in-process stream (embedded mode and tests). The broker may be given to share it between containers. */
export function memoryStreamModule(broker?: InMemoryStreamBroker): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if (broker) bind(BROKER).toConstantValue(broker);
    else bind(BROKER).toResolvedValue((clock: Clock) => new InMemoryStreamBroker(clock), [TOKENS.Clock]);
    bind(TOKENS.TaskInbox).toResolvedValue(
      (b: InMemoryStreamBroker, clock: Clock, config: AppConfig) =>
        new EntryStreamInbox(new InMemoryTaskSource(b, clock, {
          group: config.stream.group,
          consumer: config.stream.consumer,
          streams: config.stream.streams.length > 0 ? config.stream.streams : undefined,
          reclaimIdleMs: config.stream.reclaimEnabled ? config.stream.reclaimIdleMs : 0,
          blockMs: config.stream.blockMs,
          leaseMs: taskLeaseMs(config),
        })),
      [BROKER, TOKENS.Clock, TOKENS.Config],
    );
    bind(TOKENS.TaskSubmission).toResolvedValue((b: InMemoryStreamBroker, clock: Clock) => new InMemoryTaskSubmission(b, clock), [BROKER, TOKENS.Clock]);
  });
}
