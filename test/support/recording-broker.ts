import { InMemoryStreamBroker } from '../../src/adapters/memory/in-memory-stream-broker';

/** What happened, in order, so tests can check for example that nothing is acked before it is written. */
export type BrokerEvent = { op: 'append'; stream: string; id: string; type: string } | { op: 'ack'; stream: string; id: string; group: string };

/** The in-process broker, recording appends and acknowledgements. */
export class RecordingBroker extends InMemoryStreamBroker {
  readonly history: BrokerEvent[] = [];

  override append(stream: string, fields: Record<string, string>): string {
    const id = super.append(stream, fields);
    this.history.push({ op: 'append', stream, id, type: fields['type'] ?? '' });
    return id;
  }

  override ack(stream: string, group: string, id: string): boolean {
    const acked = super.ack(stream, group, id);
    if (acked) this.history.push({ op: 'ack', stream, id, group });
    return acked;
  }
}
