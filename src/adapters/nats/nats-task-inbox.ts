/**
 * The task inbox on NATS JetStream: one durable pull consumer (EXECUTOR_CONSUMER_GROUP) shared by
 * every replica reads the workflow subjects of one stream; each message settles itself.
 *
 * Settling is "publish, then record, then acknowledge": the outcome is published on the request's
 * own subject with a `Nats-Msg-Id`, then recorded in the task bucket (see TaskClaims), then the
 * message is acknowledged. A crash before the record leads to a redelivery that runs the task
 * again and publishes the same outcome, which JetStream drops as a duplicate within the stream's
 * duplicate window; a crash after the record leads to a redelivery that finds the task settled.
 * JetStream has no transaction spanning a publication and an acknowledgement: this order is the
 * substitute for the atomic settle script of the Redis backend.
 */
import { Events, JetStreamClient, JsMsg, NatsConnection, QueuedIterator, connect } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { Logger } from '../../application/ports/logger.port';
import { DeadLetterNote, InboundTask, TaskClaim, TaskInbox } from '../../application/ports/task-inbox.port';
import { FlunqEvent, TASK_COMPLETED, TASK_DLQ } from '../../domain/flunq-event';
import { deadLetterFields, eventFromFields, taskKeyOf } from '../flunq-wire/stream-fields';
import { bodyBytes, bodyText, CloudEventMessage, fieldsFromMessage, headerPairs, messageFromEvent, messageFromFields, messageSize, natsHeadersOf } from './cloudevent-headers';
import { connectionOptions, connectionProblem, NatsConnectionSettings, serversOf } from './connection';
import { bucketName, ensureConsumer, ensureStream, JetStreamLayout, openTaskBucket } from './setup';
import { settleFromHistory } from './history-scan';
import { parseWorkflowSubject } from './subjects';
import { taskBucketKey, TaskClaims } from './task-claims';

export interface NatsTaskInboxOptions extends JetStreamLayout {
  connection: NatsConnectionSettings;
  /** This replica's name (`executor-$HOSTNAME`), as its connection name. */
  consumerName: string;
  /** Longest wait of one read, ms (JetStream's pull requests last at least 1 s). */
  blockMs: number;
  /** How long a recorded outcome is remembered, ms (0: for ever). */
  settledTtlMs: number;
  /** How long a task claim lasts without renewal, ms. */
  leaseMs: number;
  /**
   * Called after each step of settling a delivery (`published`, `recorded`): a fault-injection
   * point for tests that stop the process between two steps. Undefined in production.
   */
  afterStep?: (step: 'published' | 'recorded') => Promise<void>;
}

/** The pieces a connected inbox uses. */
interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
  claims: TaskClaims;
}

/** Publications and acknowledgements wait at most this long for JetStream, ms. */
const PUBLISH_TIMEOUT_MS = 5000;
/** How long past its own expiry a pull request may go unanswered before the read gives up, ms. */
const PULL_ANSWER_MS = 5000;

/** Outcomes (completions, dead letters) on the subjects the consumer reads: never tasks for this executor. */
function isOutcome(msg: JsMsg): boolean {
  const type = msg.headers?.get('ce-type') ?? '';
  return type === TASK_COMPLETED || type === TASK_DLQ;
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
    private readonly inbox: NatsTaskInbox,
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
interface Outgoing {
  message: CloudEventMessage;
  /** The body as bytes, when it is not the message's body text (a dead letter's original bytes). */
  raw?: Uint8Array;
  msgId: string;
}

export class NatsTaskInbox implements TaskInbox {
  private connecting: Promise<Connected> | undefined;
  private ready = false;
  private closed = false;
  /** Messages pulled but not yet handed out (at most one pull's worth). */
  private readonly buffer: JsMsg[] = [];
  private pulling: Promise<void> | undefined;
  private pull: QueuedIterator<JsMsg> | undefined;
  private pullError: unknown;
  /** Whether to check the stream and consumer before the next read. */
  private checkSetup = false;
  private wake: (() => void) | undefined;

  /** The subject prefix of the workflow events (for the tasks' scope). */
  get subjectPrefix(): string {
    return this.options.subjectPrefix;
  }

  constructor(
    private readonly options: NatsTaskInboxOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Up to `max` messages, own outcomes acknowledged on the way and never handed out. The read gate
   * is not consulted: one consumer reads every workflow subject in stream order (per-tenant
   * consumers would cost a pull request per tenant), so the executor orders what it holds.
   */
  async receive(max: number, signal: AbortSignal): Promise<InboundTask[]> {
    const connected = await this.connected();
    if (this.checkSetup && !this.pulling) {
      // The last read failed: the stream or the consumer may be gone (a server that lost its store,
      // an operator's delete). Setting them up again is idempotent.
      await this.ensureSetUp(connected);
      this.checkSetup = false;
    }
    if (this.buffer.length === 0 && !signal.aborted) {
      this.pulling ??= this.pullInto(connected, max);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (this.buffer.length === 0 && this.pullError !== undefined) {
      const error = this.pullError;
      this.pullError = undefined;
      throw error instanceof Error ? error : new Error('reading from NATS failed', { cause: error });
    }
    return this.buffer.splice(0, max).map((msg) => new NatsInboundTask(this, msg));
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Stops reading, returns the messages pulled but never handed out, and drains the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.ready = false;
    this.pull?.stop();
    for (const msg of this.buffer.splice(0)) msg.nak();
    this.wake?.();
    const connected = await this.connecting?.catch(() => undefined);
    if (connected && !connected.nc.isClosed()) await connected.nc.drain().catch(() => connected.nc.close());
  }

  /** The connection and JetStream objects, set up on first use (a failed setup is tried again on the next call). */
  connected(): Promise<Connected> {
    if (this.closed) return Promise.reject(new Error('the NATS inbox is closed'));
    const connecting = (this.connecting ??= this.setUp());
    connecting.catch(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    return connecting;
  }

  /** Publishes `outcomes` next to the request, records the outcome under `key`, then acknowledges. */
  async settle(msg: JsMsg, outcomes: readonly Outgoing[], key: string): Promise<void> {
    const { js, claims } = await this.connected();
    for (const outcome of outcomes) {
      await js.publish(msg.subject, outcome.raw ?? bodyBytes(outcome.message), { headers: natsHeadersOf(outcome.message, outcome.msgId), timeout: PUBLISH_TIMEOUT_MS });
    }
    await this.options.afterStep?.('published');
    if (key) await claims.settle(key);
    await this.options.afterStep?.('recorded');
    await this.acknowledge(msg);
  }

  /**
   * Acknowledges. Not confirmed by the server: a lost acknowledgement is a redelivery, which finds
   * the outcome recorded (the connection's drain on close flushes the acknowledgements in flight).
   */
  async acknowledge(msg: JsMsg): Promise<void> {
    const { claims } = await this.connected();
    msg.ack();
    if (msg.info.redeliveryCount > 1) await claims.forgetDelivery(msg.seq);
  }

  /**
   * One read: whatever is available now (a pull that does not wait), and only when there is nothing,
   * a pull for one message that waits up to the block time. No pull outlives the read that asked
   * for it once a message arrived, so nothing is read ahead of the caller: a message waiting in
   * this process while its ack wait runs would be redelivered elsewhere meanwhile.
   */
  private async pullInto(connected: Connected, max: number): Promise<void> {
    try {
      const got = await this.fetch(connected, { batch: max, no_wait: true });
      if (got === 0 && !this.closed) {
        const expires = Math.max(1000, this.options.blockMs);
        await this.fetch(connected, { batch: 1, expires, idle_heartbeat: Math.floor(expires / 2) });
      }
    } catch (error) {
      this.pullError = error;
      this.checkSetup = true;
    } finally {
      this.pull = undefined;
      this.pulling = undefined;
      this.wake?.();
    }
  }

  /** Pulls into the buffer; returns how many messages came (own outcomes included, acknowledged on the way). */
  private async fetch({ js, claims }: Connected, options: { batch: number; no_wait?: boolean; expires?: number; idle_heartbeat?: number }): Promise<number> {
    const messages = js.fetch(this.options.stream, this.options.durable, options);
    this.pull = messages;
    // A pull request lost with a dying connection is never answered, and a pull that does not wait
    // has no timer of its own in the client: end it here rather than wait for ever.
    const watchdog = setTimeout(() => messages.stop(new Error('no answer to a pull request')), (options.expires ?? 0) + PULL_ANSWER_MS);
    let got = 0;
    try {
      for await (const msg of messages) {
        got++;
        if (this.closed) {
          msg.nak();
          continue;
        }
        if (isOutcome(msg)) {
          msg.ack();
          continue;
        }
        // A redelivery (rare) marks itself as the message's current delivery before it is handed out.
        if (msg.info.redeliveryCount > 1) await claims.markDelivery(msg.seq, msg.info.redeliveryCount);
        this.buffer.push(msg);
        this.wake?.();
      }
    } finally {
      clearTimeout(watchdog);
    }
    return got;
  }

  private async setUp(): Promise<Connected> {
    const { options } = this;
    let nc: NatsConnection;
    try {
      nc = await connect(connectionOptions(options.connection, options.consumerName));
    } catch (error) {
      throw new Error(`cannot connect to NATS at ${serversOf(options.connection.url)} (NATS_URL): ${connectionProblem(error)}`, { cause: error });
    }
    try {
      const jsm = await nc.jetstreamManager();
      await ensureStream(jsm, options, this.logger);
      await ensureConsumer(jsm, options);
      const js = nc.jetstream();
      const kv = await openTaskBucket(nc, bucketName(options.stream, options.durable), options.settledTtlMs);
      const claims = new TaskClaims(kv, this.clock, options.leaseMs);
      // A new group on a stream with history: learn the outcomes already there before the first read.
      if (await claims.historyScanDue()) {
        await claims.historyScanning(true);
        const settled = await settleFromHistory(js, jsm, options, claims);
        await claims.historyScanning(false);
        if (settled > 0) this.logger.info('learnt the outcomes already in the stream; those tasks are not run again', { settled });
      }
      this.watchStatus(nc);
      this.ready = !this.closed;
      return { nc, js, claims };
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  private async ensureSetUp(connected: Connected): Promise<void> {
    const jsm = await connected.nc.jetstreamManager();
    await ensureStream(jsm, this.options);
    await ensureConsumer(jsm, this.options);
  }

  /** Readiness follows the connection: false while disconnected, true again once reconnected. */
  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === Events.Disconnect) {
          this.ready = false;
          this.logger.warn('disconnected from NATS; reconnecting');
        } else if (status.type === Events.Reconnect) {
          this.ready = !this.closed;
          this.logger.info('reconnected to NATS');
        }
      }
    })();
    void nc.closed().then(() => {
      this.ready = false;
    });
  }
}
