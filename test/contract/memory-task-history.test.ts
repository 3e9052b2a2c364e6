import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskHistory } from '../../src/adapters/memory/in-memory-task-history';
import { FakeClock } from '../support/fake-clock';
import { describeTaskHistoryContract } from './task-history.contract';

let n = 0;

describeTaskHistoryContract('in-memory stream', () => {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  return Promise.resolve({
    history: new InMemoryTaskHistory(broker, clock),
    newWorkflow: () => ({ tenant: 'acme', workflow: `wf_${++n}` }),
    append: async (w, fields) => {
      const location = workflowStream(w.tenant, w.workflow);
      await clock.advance(1);
      return { location, messageId: broker.append(location, fields) };
    },
    close: () => Promise.resolve(),
  });
});
