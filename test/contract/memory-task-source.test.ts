import { FakeClock } from '../support/fake-clock';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../src/adapters/memory/in-memory-task-source';
import { ContractHarness, describeTaskSourceContract } from './task-source.contract';

let n = 0;

function memoryHarness(): ContractHarness {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  const reclaimIdleMs = 60_000;
  return {
    reclaimIdleMs,
    leaseMs: reclaimIdleMs,
    source: (consumer, streams) => Promise.resolve(new InMemoryTaskSource(broker, clock, { group: 'contract', consumer, streams, reclaimIdleMs, blockMs: 1000 })),
    newStream: () => `tenant:contract:workflow:wf_${++n}:events`,
    append: (stream, fields) => Promise.resolve(broker.append(stream, fields)),
    entries: (stream) => Promise.resolve(broker.entries(stream).map((e) => ({ id: e.id, fields: e.fields }))),
    pending: (stream) => Promise.resolve([...broker.pending(stream, 'contract')].map(([id, p]) => ({ id, consumer: p.consumer, deliveryCount: p.deliveryCount }))),
    elapse: (ms) => clock.advance(ms),
    crash: (source) => source.close(),
    close: () => Promise.resolve(),
  };
}

describeTaskSourceContract('InMemoryTaskSource', () => Promise.resolve(memoryHarness()));
