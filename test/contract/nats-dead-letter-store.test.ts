import { after, before } from 'node:test';
import { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { bodyBytes, messageFromFields, natsHeadersOf } from '../../src/adapters/nats/cloudevent-headers';
import { NatsDeadLetterStore, replayBucketName } from '../../src/adapters/nats/dead-letter-store';
import { ensureStream } from '../../src/adapters/nats/setup';
import { workflowSubject } from '../../src/adapters/nats/subjects';
import { FakeClock } from '../support/fake-clock';
import { streamMessages } from '../support/nats-events';
import { startNats, TestNats } from '../support/nats-server';
import { describeDeadLetterStoreContract, DeadLetterHarness } from './dead-letter-store.contract';

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let n = 0;

before(async () => {
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
  jsm = await client.jetstreamManager();
});
after(async () => {
  await nats.stop();
});

async function natsHarness(): Promise<DeadLetterHarness> {
  // Messages are stamped by the server in real time: the store's clock starts at it and follows it.
  const clock = new FakeClock(Date.now());
  // Each harness has its own stream and subjects.
  const id = ++n;
  const stream = `DLQ_CONTRACT_${id}`;
  const prefix = `dlqcontract${id}`;
  await ensureStream(jsm, { stream, subjectPrefix: prefix });
  const store = new NatsDeadLetterStore({ connection: { url: nats.url, credsFile: undefined }, stream, subjectPrefix: prefix }, clock);
  return {
    store,
    newWorkflow: () => {
      const workflow = `wf_${++n}`;
      return { location: workflowSubject(prefix, 'contract', workflow), tenant: 'contract', workflow };
    },
    append: async (w, fields) => {
      const message = messageFromFields(fields);
      return String((await js.publish(w.location, bodyBytes(message), { headers: natsHeadersOf(message, fields['id']) })).seq);
    },
    messageIds: async (w) => (await streamMessages(js, stream, w.location)).map((m) => String(m.seq)),
    records: async (_w, seq) => {
      const kv = await js.views.kv(replayBucketName(stream));
      const keys: string[] = [];
      for await (const key of await kv.keys(`${seq}.*`)) keys.push(key);
      return keys.sort();
    },
    now: () => clock.now(),
    passTime: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await clock.advance(Math.max(0, Date.now() - clock.now()));
    },
    close: () => store.close(),
  };
}

describeDeadLetterStoreContract('NATS JetStream', natsHarness);
