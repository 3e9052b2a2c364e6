/**
 * The task inbox on NATS JetStream: durable pull consumers shared by every replica read the
 * workflow subjects of one stream; each message settles itself. With `perTenant` (fair dispatch),
 * one consumer per tenant (see TenantConsumers), read only where the read gate admits the tenant;
 * otherwise one consumer (EXECUTOR_CONSUMER_GROUP) over every workflow subject, in stream order.
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
import { InboundTask, ReadGate, TaskInbox } from '../../application/ports/task-inbox.port';
import { TASK_COMPLETED, TASK_DLQ } from '../../domain/flunq-event';
import { bodyBytes, natsHeadersOf } from './cloudevent-headers';
import { connectionOptions, connectionProblem, NatsConnectionSettings, serversOf } from './connection';
import { settleFromHistory } from './history-scan';
import { NatsInboundTask, Outgoing } from './nats-inbound-task';
import { bucketName, ensureStream, JetStreamLayout, openTaskBucket } from './setup';
import { TaskClaims } from './task-claims';
import { ensureSingleConsumer, TenantConsumers } from './tenant-consumers';

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
  /**
   * One durable consumer per tenant, read only where the read gate admits the tenant (fair
   * dispatch); otherwise one consumer over every workflow subject, the gate ignored.
   */
  perTenant?: boolean;
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
/** Per-tenant reads: the pause between two polls of the admitted tenants while nothing comes, ms. */
const POLL_MS = 200;
/** Per-tenant reads: tenants are looked for at most this often while reads bring work (when idle: every poll), ms. */
const DISCOVERY_MS = 1000;

/** Outcomes (completions, dead letters) on the subjects the consumer reads: never tasks for this executor. */
function isOutcome(msg: JsMsg): boolean {
  const type = msg.headers?.get('ce-type') ?? '';
  return type === TASK_COMPLETED || type === TASK_DLQ;
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
  /** The per-tenant consumers (with `perTenant`). */
  private readonly tenants: TenantConsumers | undefined;

  /** The subject prefix of the workflow events (for the tasks' scope). */
  get subjectPrefix(): string {
    return this.options.subjectPrefix;
  }

  constructor(
    private readonly options: NatsTaskInboxOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.tenants = options.perTenant ? new TenantConsumers(options) : undefined;
  }

  /**
   * Up to `max` messages, own outcomes acknowledged on the way and never handed out. With
   * per-tenant consumers, only from tenants the gate admits (see `receiveByTenant`); with the
   * single consumer the gate is not consulted: it reads every workflow subject in stream order, and
   * the executor orders what it holds.
   */
  async receive(max: number, signal: AbortSignal, gate?: ReadGate): Promise<InboundTask[]> {
    const connected = await this.connected();
    if (this.tenants) return this.receiveByTenant(connected, this.tenants, max, signal, gate);
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

  /**
   * A read of the per-tenant consumers: the gate asked per tenant (its granularity here is a tenant,
   * not a workflow), the admitted tenants pulled in turn without waiting, each for an equal part of
   * what is still wanted, until the read has `max`; the tenant asked first rotates from read to read.
   * When none has anything, polls again every POLL_MS until the block time has passed or `signal`
   * aborts, asking the gate again each time. Tenants are looked for in the stream at most every
   * DISCOVERY_MS while reads bring work, and on every poll while idle; an idle poll pulls only from
   * tenants whose message count changed since the previous one (new messages), and from every
   * admitted tenant once per block time (redeliveries do not change counts).
   */
  private async receiveByTenant(connected: Connected, tenants: TenantConsumers, max: number, signal: AbortSignal, gate: ReadGate | undefined): Promise<InboundTask[]> {
    const deadline = this.clock.now() + this.options.blockMs;
    const got: JsMsg[] = [];
    try {
      if (this.checkSetup) {
        // The last read failed: the stream or consumers may be gone; they are set up again.
        tenants.reset();
        await ensureStream(await connected.nc.jetstreamManager(), this.options);
        this.checkSetup = false;
      }
      let idle = false;
      let sweptAt = -Infinity;
      while (!this.closed) {
        const now = this.clock.now();
        const changed = await tenants.scan(await connected.nc.jetstreamManager(), now, false, idle ? POLL_MS / 2 : DISCOVERY_MS);
        const sweep = !idle || !changed || now - sweptAt >= this.options.blockMs;
        if (sweep) sweptAt = now;
        const asked = tenants.rotation().filter((c) => (sweep || changed?.has(c.tenantId)) && (!gate || gate.admits(c.tenantId, '')));
        for (let i = 0; i < asked.length && got.length < max; i++) {
          const part = Math.ceil((max - got.length) / (asked.length - i));
          await this.fetch(connected, { batch: part, no_wait: true }, (asked[i] as { name: string }).name, got);
        }
        if (got.length > 0 || signal.aborted || this.clock.now() >= deadline) break;
        idle = true;
        await this.clock.sleep(Math.min(POLL_MS, Math.max(0, deadline - this.clock.now())), signal).catch(() => undefined);
        if (signal.aborted) break;
      }
    } catch (error) {
      this.checkSetup = true;
      for (const msg of got) msg.nak();
      throw error instanceof Error ? error : new Error('reading from NATS failed', { cause: error });
    }
    if (this.closed) {
      for (const msg of got) msg.nak();
      return [];
    }
    return got.map((msg) => new NatsInboundTask(this, msg));
  }

  /** Pulls into `into` (the buffer); returns how many messages came (own outcomes included, acknowledged on the way). */
  private async fetch({ js, claims }: Connected, options: { batch: number; no_wait?: boolean; expires?: number; idle_heartbeat?: number }, durable = this.options.durable, into: JsMsg[] = this.buffer): Promise<number> {
    const messages = js.fetch(this.options.stream, durable, options);
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
        into.push(msg);
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
      // Switching layouts (fair dispatch turned on or off) retires the other layout's consumers.
      const retired = this.tenants ? await this.tenants.setUp(jsm, this.clock.now()) : await ensureSingleConsumer(jsm, options, true);
      if (retired.length > 0) this.logger.info('NATS consumers of the other layout retired (fair dispatch switched)', { retired, perTenant: this.tenants !== undefined });
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
    await ensureStream(jsm, this.options, this.logger);
    await ensureSingleConsumer(jsm, this.options, false);
    // A server that lost its store lost the task bucket too: open (create) it again.
    const kv = await openTaskBucket(connected.nc, bucketName(this.options.stream, this.options.durable), this.options.settledTtlMs);
    connected.claims = new TaskClaims(kv, this.clock, this.options.leaseMs);
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
