import { randomUUID } from 'node:crypto';
import { connect, Channel, ChannelModel, ConfirmChannel, ConsumeMessage, MessageProperties } from 'amqplib';
import { OutgoingMessage } from '../../application/ports/message-brokers.port';
import { errors, isWorkflowError } from '../../domain/workflow-error';
import { BrokerConnection, BrokerConnector, BrokerEndpoint, brokerRefusedCredentials, brokerUnreachable, encodePayload, RawReply } from './broker-connection';
import { untilAborted } from '../../domain/until-aborted';

function failure(error: unknown, what: string): Error {
  if (isWorkflowError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/ACCESS[-_]REFUSED|403/.test(message)) return brokerRefusedCredentials(`AMQP broker refused the credentials: ${message}`);
  if (/SASL mechanism ANONYMOUS is not provided/.test(message)) {
    return brokerRefusedCredentials('AMQP broker requires credentials: it offers no anonymous login (SASL ANONYMOUS) and the task gives no authentication (give basic: username and password)');
  }
  return brokerUnreachable(`AMQP ${what} failed: ${message}`, error);
}

function headersOf(properties: MessageProperties): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((properties.headers ?? {}))) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value);
  }
  if (typeof properties.correlationId === 'string') out['correlation_id'] ??= properties.correlationId;
  return out;
}

/** A request waiting for its reply. */
interface Waiter {
  resolve(reply: RawReply): void;
  reject(error: Error): void;
}

/**
 * The connection's reply queue: exclusive and auto-deleted, declared once on a channel of its own
 * with one consumer; requests are published on that channel (so that a `mandatory` return comes
 * back to it) and wait in `waiting` under their correlation id until the reply, their deadline or
 * their abort takes them out. A reply nobody waits for (its request gave up) is dropped.
 */
class ReplyQueue {
  readonly waiting = new Map<string, Waiter>();
  closed = false;

  constructor(
    readonly channel: Channel,
    readonly queue: string,
  ) {}

  deliver(message: ConsumeMessage): void {
    const id = message.properties.correlationId as unknown;
    if (typeof id !== 'string') return;
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.resolve({ body: message.content, headers: headersOf(message.properties) });
  }

  /** The broker returned a request (`mandatory`: no queue takes it): it fails at once. */
  returned(message: ConsumeMessage): void {
    const id = message.properties.correlationId as unknown;
    if (typeof id !== 'string') return;
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.reject(brokerUnreachable(`AMQP broker returned the message: no queue takes '${message.fields.routingKey}'`));
  }

  /** The channel closed (or the broker cancelled the consumer): every request waiting on it fails, retryable. */
  lost(why: string): void {
    this.closed = true;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiting) waiter.reject(brokerUnreachable(`AMQP request failed: ${why} before the reply came`));
  }
}

/**
 * AMQP 0-9-1 (RabbitMQ): a channel address is a queue, published to through the default exchange
 * with confirms and `mandatory`, so a message no queue takes fails instead of vanishing. A reply
 * comes to the connection's one exclusive, auto-deleted reply queue (`replyTo`), declared on first
 * use and again after its channel closed, and is matched to its request by `correlationId`.
 */
class AmqpConnection implements BrokerConnection {
  closed = false;
  private confirms: Promise<ConfirmChannel> | undefined;
  private readonly returned = new Map<string, (error: Error) => void>();
  private replies: Promise<ReplyQueue> | undefined;

  constructor(private readonly model: ChannelModel) {
    model.on('close', () => (this.closed = true));
    model.on('error', () => (this.closed = true));
  }

  private confirmChannel(): Promise<ConfirmChannel> {
    this.confirms ??= this.model.createConfirmChannel().then((channel) => {
      const drop = (): void => {
        this.confirms = undefined;
      };
      channel.on('close', drop);
      channel.on('error', drop);
      channel.on('return', (message: ConsumeMessage) => {
        const id = message.properties.messageId as unknown;
        if (typeof id === 'string') this.returned.get(id)?.(brokerUnreachable(`AMQP broker returned the message: no queue takes '${message.fields.routingKey}'`));
      });
      return channel;
    });
    return this.confirms;
  }

  async publish(message: OutgoingMessage, signal: AbortSignal): Promise<void> {
    const messageId = randomUUID();
    try {
      const channel = await untilAborted(this.confirmChannel(), signal);
      const accepted = new Promise<void>((resolve, reject) => {
        this.returned.set(messageId, reject);
        channel.publish('', message.address, encodePayload(message.payload), { headers: { ...message.headers }, contentType: 'application/json', messageId, mandatory: true, persistent: true }, (error: unknown) =>
          error ? reject(failure(error, 'publish')) : setImmediate(resolve),
        );
      });
      await untilAborted(accepted, signal);
    } catch (error) {
      throw failure(error, 'publish');
    } finally {
      this.returned.delete(messageId);
    }
  }

  /** The reply queue, declared on first use and again once its channel closed. */
  private replyQueue(): Promise<ReplyQueue> {
    const current = this.replies;
    if (current) return current;
    const declared = (async (): Promise<ReplyQueue> => {
      const channel = await this.model.createChannel();
      // A channel the broker closes emits `error`; unheard, that would end the process.
      channel.on('error', () => undefined);
      try {
        const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
        const replies = new ReplyQueue(channel, queue);
        const lost = (why: string): void => {
          if (this.replies === declared) this.replies = undefined;
          replies.lost(why);
        };
        channel.on('close', () => lost('the reply channel closed'));
        channel.on('return', (message: ConsumeMessage) => replies.returned(message));
        await channel.consume(
          queue,
          (delivered) => {
            if (delivered) return replies.deliver(delivered);
            // The broker cancelled the consumer (the queue went away): declared anew by the next request.
            lost('the broker cancelled the reply consumer');
            channel.close().catch(() => undefined);
          },
          { noAck: true },
        );
        return replies;
      } catch (error) {
        channel.close().catch(() => undefined);
        throw error;
      }
    })();
    this.replies = declared;
    declared.catch(() => {
      if (this.replies === declared) this.replies = undefined;
    });
    return declared;
  }

  async request(message: OutgoingMessage, correlationId: string, _replyAddress: string | null, signal: AbortSignal): Promise<RawReply> {
    // The reply always comes to the connection's own queue: a queue the document names is not listened on.
    let replies: ReplyQueue | undefined;
    try {
      replies = await untilAborted(this.replyQueue(), signal);
      const waiting = replies.waiting;
      if (replies.closed) throw brokerUnreachable('AMQP request failed: the reply channel closed');
      const reply = new Promise<RawReply>((resolve, reject) => waiting.set(correlationId, { resolve, reject }));
      // `mandatory`: a request no queue takes comes back at once instead of waiting out the deadline.
      replies.channel.sendToQueue(message.address, encodePayload(message.payload), { headers: { ...message.headers }, contentType: 'application/json', correlationId, replyTo: replies.queue, mandatory: true });
      return await untilAborted(reply, signal);
    } catch (error) {
      throw failure(error, 'request');
    } finally {
      // Gone from the queue's waiting list on reply, deadline or abort: a late reply is dropped.
      replies?.waiting.delete(correlationId);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.model.close().catch(() => undefined);
  }
}

/**
 * SASL ANONYMOUS (RFC 4505): a login without credentials, which a broker accepts only when it
 * offers the mechanism (RabbitMQ 4 does by default, as its `anonymous_login_user`); one that does
 * not is refused with a clear authentication error rather than tried with guest/guest.
 */
const ANONYMOUS = { mechanism: 'ANONYMOUS', response: (): Buffer => Buffer.alloc(0), username: '', password: '' };

export const amqpConnector: BrokerConnector = {
  protocol: 'amqp',
  defaultPort: 5672,
  async connect(endpoint: BrokerEndpoint, timeoutMs: number): Promise<BrokerConnection> {
    if (endpoint.token !== undefined) throw errors.configuration('asyncapi call failed: AMQP takes basic authentication (username and password), not a bearer token');
    try {
      // Without the task's credentials none are sent (SASL ANONYMOUS), never a default user such as guest.
      const login = endpoint.username === undefined && endpoint.password === undefined ? { credentials: ANONYMOUS } : {};
      const model = await connect(
        { protocol: 'amqp', hostname: endpoint.ip, port: endpoint.port, username: endpoint.username ?? '', password: endpoint.password ?? '', heartbeat: 30 },
        { timeout: timeoutMs, servername: endpoint.hostname, ...login },
      );
      return new AmqpConnection(model);
    } catch (error) {
      throw failure(error, 'connection');
    }
  },
};
