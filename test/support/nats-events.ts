import { JetStreamClient, JsMsg } from 'nats';
import { bodyText, eventFromMessage, headerPairs } from '../../src/adapters/nats/cloudevent-headers';
import { FlunqEvent } from '../../src/domain/flunq-event';

/** Every message of `stream` on subjects matching `filter`, in stream order (an ordered consumer, read to its end). */
export async function streamMessages(js: JetStreamClient, stream: string, filter: string): Promise<JsMsg[]> {
  const consumer = await js.consumers.get(stream, { filterSubjects: filter });
  const out: JsMsg[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let last: JsMsg | undefined;
    for await (const m of batch) {
      out.push(m);
      last = m;
    }
    if (!last || last.info.pending === 0) break;
  }
  return out;
}

export async function subjectEvents(js: JetStreamClient, stream: string, subject: string): Promise<FlunqEvent[]> {
  return (await streamMessages(js, stream, subject)).map((m) => eventFromMessage(headerPairs(m.headers), bodyText(m.data)));
}
