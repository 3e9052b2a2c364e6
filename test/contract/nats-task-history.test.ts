import { after, before } from 'node:test';
import { JetStreamClient, NatsConnection } from 'nats';
import { bodyBytes, messageFromFields, natsHeadersOf } from '../../src/adapters/nats/cloudevent-headers';
import { ensureStream } from '../../src/adapters/nats/setup';
import { workflowSubject } from '../../src/adapters/nats/subjects';
import { NatsTaskHistory } from '../../src/adapters/nats/task-history';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { startNats, TestNats } from '../support/nats-server';
import { describeTaskHistoryContract } from './task-history.contract';

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

describeTaskHistoryContract('NATS JetStream', async () => {
  // Each harness has its own JetStream stream and subject prefix.
  const id = ++n;
  const layout = { stream: `HISTORY_${id}`, subjectPrefix: `history${id}` };
  await ensureStream(await client.jetstreamManager(), layout);
  const history = new NatsTaskHistory({ connection: { url: nats.url, credsFile: undefined }, ...layout }, new SystemClock());
  let w = 0;
  return {
    history,
    newWorkflow: () => ({ tenant: 'acme', workflow: `wf_${++w}` }),
    append: async (workflow, fields) => {
      const subject = workflowSubject(layout.subjectPrefix, workflow.tenant, workflow.workflow);
      const message = messageFromFields(fields);
      const ack = await js.publish(subject, bodyBytes(message), { headers: natsHeadersOf(message) });
      return { location: subject, messageId: String(ack.seq) };
    },
    close: () => history.close(),
  };
});
