import { after, before } from 'node:test';
import { JetStreamClient, NatsConnection } from 'nats';
import { messageFromEvent, natsHeadersOf, bodyBytes } from '../../src/adapters/nats/cloudevent-headers';
import { NatsTaskInbox } from '../../src/adapters/nats/nats-task-inbox';
import { ensureStream } from '../../src/adapters/nats/setup';
import { workflowSubject } from '../../src/adapters/nats/subjects';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { TaskInbox } from '../../src/application/ports/task-inbox.port';
import { InMemoryLogger } from '../support/in-memory-logger';
import { subjectEvents } from '../support/nats-events';
import { startNats, TestNats } from '../support/nats-server';
import { describeTaskInboxContract, InboxHarness } from './task-inbox.contract';

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;
let n = 0;

before(async () => {
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
});
after(async () => {
  await nats.stop();
});

function natsHarness(perTenant: boolean): InboxHarness {
  const inboxes: TaskInbox[] = [];
  // Ack wait: long enough that a loaded machine renews in time (the renewal case waits half of it).
  const redeliverAfterMs = 1500;
  // Each harness has its own stream and subjects: one consumer reads every workflow of its stream.
  const id = ++n;
  const prefix = `contract${id}`;
  const stream = `CONTRACT_${id}`;
  const blockMs = 2000;
  return {
    redeliverAfterMs,
    blockMs,
    realTime: true,
    inbox: (replica, options = {}) => {
      const inbox = new NatsTaskInbox(
        {
          connection: { url: nats.url, credsFile: undefined },
          stream,
          subjectPrefix: prefix,
          durable: options.group ?? 'contract',
          consumerName: replica,
          ackWaitMs: redeliverAfterMs,
          maxDeliver: 10,
          blockMs,
          settledTtlMs: 60_000,
          leaseMs: redeliverAfterMs,
          perTenant,
        },
        new SystemClock(),
        new InMemoryLogger(),
      );
      inboxes.push(inbox);
      // Set up before the test publishes, as a running replica would be.
      return inbox.connected().then(() => inbox);
    },
    newWorkflow: () => ({ tenant: 'contract', workflow: `wf_${++n}` }),
    publish: async (w, event) => {
      // The stream exists before any replica starts, as in production (the flunq worker publishes first).
      await ensureStream(await client.jetstreamManager(), { stream, subjectPrefix: prefix });
      const message = messageFromEvent(event);
      await js.publish(workflowSubject(prefix, w.tenant, w.workflow), bodyBytes(message), { headers: natsHeadersOf(message, event.id) });
    },
    events: (w) => subjectEvents(js, stream, workflowSubject(prefix, w.tenant, w.workflow)),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    crash: (inbox) => inbox.close(),
    close: async () => {
      for (const inbox of inboxes.splice(0)) await inbox.close().catch(() => undefined);
    },
  };
}

describeTaskInboxContract('NATS JetStream', () => Promise.resolve(natsHarness(false)));
// Fair dispatch: one consumer per tenant, read through the gate (none given here: every tenant).
describeTaskInboxContract('NATS JetStream, per-tenant consumers', () => Promise.resolve(natsHarness(true)));
