import { randomUUID } from 'node:crypto';
import { connect, ChannelModel, ConfirmChannel, ConsumeMessage, MessageProperties } from 'amqplib';
import { OutgoingMessage } from '../../application/ports/message-brokers.port';
import { errors, isWorkflowError } from '../../domain/workflow-error';
import { BrokerConnection, BrokerConnector, BrokerEndpoint, brokerRefusedCredentials, brokerUnreachable, encodePayload, RawReply, untilAborted } from './broker-connection';

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

/**
 * AMQP 0-9-1 (RabbitMQ): a channel address is a queue, published to through the default exchange
 * with confirms and `mandatory`, so a message no queue takes fails instead of vanishing. A reply
 * comes to an exclusive, auto-deleted queue of the request's own (`replyTo`), matched by `correlationId`.
 */
class AmqpConnection implements BrokerConnection {
  closed = false;
  private confirms: Promise<ConfirmChannel> | undefined;
  private readonly returned = new Map<string, (error: Error) => void>();

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

  async request(message: OutgoingMessage, correlationId: string, _replyAddress: string | null, signal: AbortSignal): Promise<RawReply> {
    let channel;
    try {
      channel = await untilAborted(this.model.createChannel(), signal);
    } catch (error) {
      throw failure(error, 'request');
    }
    const open = channel;
    // A channel the broker closes emits `error`; unheard, that would end the process.
    open.on('error', () => undefined);
    try {
      const { queue } = await untilAborted(open.assertQueue('', { exclusive: true, autoDelete: true }), signal);
      const reply = new Promise<RawReply>((resolve, reject) => {
        // `mandatory`: a request no queue takes comes back at once instead of waiting out the deadline.
        open.on('return', (returned: ConsumeMessage) => reject(brokerUnreachable(`AMQP broker returned the message: no queue takes '${returned.fields.routingKey}'`)));
        void open.consume(
          queue,
          (delivered) => {
            if (delivered && delivered.properties.correlationId === correlationId) resolve({ body: delivered.content, headers: headersOf(delivered.properties) });
          },
          { noAck: true },
        );
      });
      open.sendToQueue(message.address, encodePayload(message.payload), { headers: { ...message.headers }, contentType: 'application/json', correlationId, replyTo: queue, mandatory: true });
      return await untilAborted(reply, signal);
    } catch (error) {
      throw failure(error, 'request');
    } finally {
      // Closing the channel deletes the exclusive reply queue.
      open.close().catch(() => undefined);
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
