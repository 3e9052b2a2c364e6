import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { InMemoryStreamDeadLetterStore } from '../../src/adapters/memory/in-memory-dead-letter-store';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { FakeClock } from '../support/fake-clock';
import { describeDeadLetterStoreContract, DeadLetterHarness } from './dead-letter-store.contract';

let n = 0;

function memoryHarness(): DeadLetterHarness {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  return {
    store: new InMemoryStreamDeadLetterStore(broker, clock),
    newWorkflow: () => {
      const workflow = `wf_${++n}`;
      return { location: workflowStream('contract', workflow), tenant: 'contract', workflow };
    },
    append: (w, fields) => Promise.resolve(broker.append(w.location, fields)),
    messageIds: (w) => Promise.resolve(broker.entries(w.location).map((e) => e.id)),
    now: () => clock.now(),
    passTime: (ms) => clock.advance(ms),
    close: () => Promise.resolve(),
  };
}

describeDeadLetterStoreContract('in-process stream', () => Promise.resolve(memoryHarness()));
