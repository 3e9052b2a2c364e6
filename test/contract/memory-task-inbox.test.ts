import { EntryStreamInbox } from '../../src/adapters/flunq-wire/entry-stream-inbox';
import { eventFromFields, fieldsFromEvent } from '../../src/adapters/flunq-wire/stream-fields';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { FakeClock } from '../support/fake-clock';
import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../src/adapters/memory/in-memory-task-source';
import { describeTaskInboxContract, InboxHarness } from './task-inbox.contract';

let n = 0;

function memoryHarness(): InboxHarness {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  const redeliverAfterMs = 60_000;
  return {
    redeliverAfterMs,
    blockMs: 1000,
    realTime: false,
    inbox: (replica, options = {}) =>
      Promise.resolve(
        new EntryStreamInbox(
          new InMemoryTaskSource(broker, clock, {
            group: options.group ?? 'contract',
            consumer: replica,
            ...(options.workflows ? { streams: options.workflows.map((w) => workflowStream(w.tenant, w.workflow)) } : {}),
            reclaimIdleMs: redeliverAfterMs,
            blockMs: 1000,
          }),
        ),
      ),
    newWorkflow: () => ({ tenant: 'contract', workflow: `wf_${++n}` }),
    publish: (w, event) => {
      broker.append(workflowStream(w.tenant, w.workflow), fieldsFromEvent(event));
      return Promise.resolve();
    },
    events: (w) => Promise.resolve(broker.entries(workflowStream(w.tenant, w.workflow)).map((e) => eventFromFields(e.fields))),
    elapse: (ms) => clock.advance(ms),
    crash: (inbox) => inbox.close(),
    close: () => Promise.resolve(),
  };
}

describeTaskInboxContract('in-process broker', () => Promise.resolve(memoryHarness()));
