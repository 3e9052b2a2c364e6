/**
 * One delivery of the NATS inbox (see NatsTaskInbox), settling itself through the inbox.
 */
import { JsMsg } from 'nats';
import { DeadLetterNote, InboundTask, TaskClaim } from '../../application/ports/task-inbox.port';
import { FlunqEvent } from '../../domain/flunq-event';
import { deadLetterFields, eventFromFields, taskKeyOf } from '../flunq-wire/stream-fields';
import { bodyText, CloudEventMessage, fieldsFromMessage, headerPairs, messageFromEvent, messageFromFields, messageSize } from './cloudevent-headers';
import { parseWorkflowSubject } from './subjects';
import { taskBucketKey, TaskClaims } from './task-claims';

/** What a delivery needs of its inbox. */
export interface DeliverySettler {
  /** The subject prefix of the workflow events (for the tasks' scope). */
  readonly subjectPrefix: string;
  connected(): Promise<{ claims: TaskClaims }>;
  settle(msg: JsMsg, outcomes: readonly Outgoing[], key: string): Promise<void>;
  acknowledge(msg: JsMsg): Promise<void>;
}

/** The de-duplication id of an outcome: its event id, with the replay suffix of a replay's idempotency key. */
function outcomeMsgId(eventId: string, taskId: string, key: string): string {
  return key && taskId && key !== taskId && key.startsWith(taskId) ? `${eventId}${key.slice(taskId.length)}` : eventId;
}

/**
 * The de-duplication id of a dead letter: its `ce-id` is the request's own (which the publisher may
 * have used as the request's message id), so it is `task-dlq-<request id>@<stream sequence>`: the
 * same message dead-lettered again after a crash is dropped, another message of the same request
 * is not.
 */
function deadLetterMsgId(requestId: string, seq: number): string {
  return `task-dlq-${requestId}@${seq}`;
}

export class NatsInboundTask implements InboundTask {
  readonly event: FlunqEvent;
  readonly idempotencyKey: string;
  readonly sizeBytes: number;
  private readonly headers: [string, string][];
  /** The task's key in the task bucket (empty when the event names no task). */
  private readonly claimKey: string;

  constructor(
    private readonly inbox: DeliverySettler,
    private readonly msg: JsMsg,
  ) {
    this.headers = headerPairs(msg.headers);
    const fields = fieldsFromMessage(this.headers, bodyText(msg.data));
    this.event = eventFromFields(fields);
    this.idempotencyKey = taskKeyOf(fields);
    // Scoped by the subject the request was published on (its tenant and workflow), not by what it says.
    const scope = parseWorkflowSubject(inbox.subjectPrefix, msg.subject) ?? { tenantId: this.event.tenantId, workflowId: this.event.workflowId };
    this.claimKey = this.idempotencyKey ? taskBucketKey(scope, this.idempotencyKey) : '';
    this.sizeBytes = messageSize(this.headers, msg.data.length);
  }

  get attempt(): number {
    return this.msg.info.redeliveryCount;
  }

  get origin(): string {
    return `${this.msg.subject} #${this.msg.seq}`;
  }

  async claim(): Promise<TaskClaim> {
    if (!this.idempotencyKey) return 'claimed';
    return (await this.inbox.connected()).claims.claim(this.claimKey, this.holder());
  }

  complete(completion: FlunqEvent): Promise<void> {
    return this.inbox.settle(this.msg, [{ message: messageFromEvent(completion), msgId: outcomeMsgId(completion.id, completion.taskId, this.idempotencyKey) }], this.claimKey);
  }

  deadLetter(note: DeadLetterNote, completion?: FlunqEvent): Promise<void> {
    const fields = deadLetterFields(fieldsFromMessage(this.headers, bodyText(this.msg.data)), note.reason, note.attempt, note.omitData ? { entryId: String(this.msg.seq) } : undefined, note.trace);
    // The original body byte for byte (not decoded and encoded again), unless it is left out.
    const raw = fields['data'] === undefined ? undefined : this.msg.data;
    const outcomes: Outgoing[] = [{ message: messageFromFields(fields), ...(raw ? { raw } : {}), msgId: deadLetterMsgId(this.event.id, this.msg.seq) }];
    if (completion) outcomes.push({ message: messageFromEvent(completion), msgId: outcomeMsgId(completion.id, completion.taskId, this.idempotencyKey) });
    return this.inbox.settle(this.msg, outcomes, this.claimKey);
  }

  discard(): Promise<void> {
    return this.inbox.acknowledge(this.msg);
  }

  /** A negative acknowledgement: JetStream redelivers the message at once, as a new attempt. */
  release(): Promise<void> {
    this.msg.nak();
    return Promise.resolve();
  }

  async renew(): Promise<boolean> {
    const { claims } = await this.inbox.connected();
    // JetStream accepts an in-progress ack from an earlier delivery of a redelivered message: the
    // delivery marker tells this delivery it is no longer the current one.
    if (await claims.deliveredAgain(this.msg.seq, this.attempt)) return false;
    this.msg.working();
    if (!this.idempotencyKey) return true;
    return claims.renew(this.claimKey, this.holder());
  }

  private holder(): string {
    return String(this.msg.seq);
  }
}

/** One message to publish next to a request. */
export interface Outgoing {
  message: CloudEventMessage;
  /** The body as bytes, when it is not the message's body text (a dead letter's original bytes). */
  raw?: Uint8Array;
  msgId: string;
}

