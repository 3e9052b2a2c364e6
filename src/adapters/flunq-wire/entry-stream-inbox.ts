import { DeadLetterNote, InboundTask, ReadGate, TaskClaim, TaskInbox } from '../../application/ports/task-inbox.port';
import { FlunqEvent } from '../../domain/flunq-event';
import { Delivery, EntryStream } from './entry-stream';
import { deadLetterFields, entrySize, eventFromFields, fieldsFromEvent, taskKeyOf } from './stream-fields';
import { parseWorkflowStream } from './stream-keys';

/** One delivered entry as the executor's inbound task: the flunq binding of stream entries, in one place. */
export class StreamInboundTask implements InboundTask {
  readonly event: FlunqEvent;
  readonly idempotencyKey: string;
  private size: number | undefined;

  constructor(
    private readonly stream: EntryStream,
    private readonly delivery: Delivery,
  ) {
    this.event = eventFromFields(delivery.fields);
    this.idempotencyKey = taskKeyOf(delivery.fields);
  }

  get sizeBytes(): number {
    return (this.size ??= entrySize(this.delivery.fields));
  }

  get attempt(): number {
    return this.delivery.deliveryCount;
  }

  get origin(): string {
    return `${this.delivery.stream} ${this.delivery.entryId}`;
  }

  claim(): Promise<TaskClaim> {
    if (!this.idempotencyKey) return Promise.resolve('claimed');
    return this.stream.claimTask(this.delivery, this.idempotencyKey);
  }

  complete(completion: FlunqEvent): Promise<void> {
    return this.stream.settle(this.delivery, [fieldsFromEvent(completion)], this.key());
  }

  deadLetter(note: DeadLetterNote, completion?: FlunqEvent): Promise<void> {
    const entries = [deadLetterFields(this.delivery.fields, note.reason, note.attempt, note.omitData ? { entryId: this.delivery.entryId } : undefined, note.trace)];
    if (completion) entries.push(fieldsFromEvent(completion));
    return this.stream.settle(this.delivery, entries, this.key());
  }

  discard(): Promise<void> {
    return this.stream.acknowledge(this.delivery);
  }

  release(): Promise<void> {
    return this.stream.release(this.delivery);
  }

  async renew(): Promise<boolean> {
    return (await this.stream.keepAlive(this.delivery)) !== false;
  }

  private key(): string | undefined {
    return this.idempotencyKey || undefined;
  }
}

/**
 * The TaskInbox of every backend that keeps flunq events as stream entries (Redis Streams, the
 * in-process broker): the backend provides the consumer-group mechanics, this turns its entries
 * into inbound tasks.
 */
export class EntryStreamInbox implements TaskInbox {
  constructor(readonly stream: EntryStream) {}

  async receive(max: number, signal: AbortSignal, gate?: ReadGate): Promise<InboundTask[]> {
    const deliveries = await this.stream.receive(max, signal, gate && streamGate(gate));
    return deliveries.map((delivery) => new StreamInboundTask(this.stream, delivery));
  }

  isReady(): boolean {
    return this.stream.isReady();
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

/** The gate as a question about a stream: its tenant and workflow are in its key (any other key is admitted). */
export function streamGate(gate: ReadGate): (stream: string) => boolean {
  return (stream) => {
    const owner = parseWorkflowStream(stream);
    return owner === undefined || gate.admits(owner.tenantId, owner.workflowId);
  };
}
