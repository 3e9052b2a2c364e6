import { randomUUID } from 'node:crypto';
import { connectAsync, IPublishPacket, MqttClient } from 'mqtt';
import { OutgoingMessage } from '../../application/ports/message-brokers.port';
import { errors, isWorkflowError } from '../../domain/workflow-error';
import { BrokerConnection, BrokerConnector, BrokerEndpoint, brokerRefusedCredentials, brokerUnreachable, encodePayload, RawReply } from './broker-connection';
import { untilAborted } from '../../domain/until-aborted';

function failure(error: unknown, what: string): Error {
  if (isWorkflowError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 134 || code === 135 || /not authori[sz]ed|bad user ?name or password/i.test(message)) return brokerRefusedCredentials(`MQTT broker refused the credentials: ${message}`);
  return brokerUnreachable(`MQTT ${what} failed: ${message}`, error);
}

/** An empty `userProperties` makes mqtt-packet write a packet the broker never acknowledges: left out then. */
function userProperties(headers: Readonly<Record<string, string>>): { userProperties?: Record<string, string> } {
  return Object.keys(headers).length === 0 ? {} : { userProperties: { ...headers } };
}

function headersOf(packet: IPublishPacket): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(packet.properties?.userProperties ?? {})) out[key] = Array.isArray(value) ? value.join(',') : String(value);
  return out;
}

/** One topic's subscription, shared by the requests waiting on it. */
interface Subscription {
  /** The broker's SUBACK. */
  readonly ready: Promise<unknown>;
  waiters: number;
}

/** What a reply is looked up by: the topic it came on and its correlation data. */
function waitKey(topic: string, correlation: Uint8Array): string {
  return `${topic}\n${Buffer.from(correlation).toString('hex')}`;
}

/**
 * MQTT 5: a channel address is a topic, published at QoS 1 (the broker's PUBACK is the
 * acceptance). A request carries a response topic and correlation data; the reply is the first
 * message on that topic with the same correlation data. Unless the document fixes a reply topic,
 * the response topic is the request's own under the connection's reply prefix
 * (`flunq/replies/<connection uuid>/<correlation id>`), which the connection subscribes to once
 * (`…/+`), on its first request. Requests waiting on the same fixed response topic share one
 * subscription, unsubscribed when the last of them is done: MQTT has one subscription per topic
 * and client, so the first request to finish must not take it from the others. One listener
 * hands each reply to the request waiting for it; a reply nobody waits for is dropped.
 */
class MqttConnection implements BrokerConnection {
  closed = false;
  private readonly subscriptions = new Map<string, Subscription>();
  /** The requests waiting, by waitKey. */
  private readonly waiting = new Map<string, { resolve: (reply: RawReply) => void; reject: (error: Error) => void }>();
  private readonly replyPrefix = `flunq/replies/${randomUUID()}`;
  /** The SUBACK of the connection's own reply topics, once subscribed. */
  private replies: Promise<unknown> | undefined;

  constructor(private readonly client: MqttClient) {
    client.on('close', () => this.lost('the connection closed'));
    client.on('error', (error) => this.lost(error.message));
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      const data = packet.properties?.correlationData;
      if (data === undefined) return;
      const key = waitKey(topic, data);
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      waiter?.resolve({ body: payload, headers: headersOf(packet) });
    });
  }

  /** The connection is gone: no reply can come any more, so the requests waiting fail now rather than at their deadlines. */
  private lost(why: string): void {
    this.closed = true;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiting) waiter.reject(brokerUnreachable(`MQTT request failed: ${why} while waiting for the reply`));
  }

  async publish(message: OutgoingMessage, signal: AbortSignal): Promise<void> {
    try {
      await untilAborted(
        this.client.publishAsync(message.address, encodePayload(message.payload), { qos: 1, properties: { contentType: 'application/json', ...userProperties(message.headers) } }),
        signal,
      );
    } catch (error) {
      throw failure(error, 'publish');
    }
  }

  async request(message: OutgoingMessage, correlationId: string, replyAddress: string | null, signal: AbortSignal): Promise<RawReply> {
    const topic = replyAddress ?? `${this.replyPrefix}/${correlationId}`;
    const correlation = Buffer.from(correlationId, 'utf8');
    const key = waitKey(topic, correlation);
    const reply = new Promise<RawReply>((resolve, reject) => this.waiting.set(key, { resolve, reject }));
    // A request made on a connection already lost fails at once with the same error.
    reply.catch(() => undefined);
    if (this.closed) this.lost('the connection is closed');
    const subscription = replyAddress === null ? undefined : this.subscribe(replyAddress);
    try {
      await untilAborted(subscription ? subscription.ready : this.ownReplies(), signal);
      await untilAborted(
        this.client.publishAsync(message.address, encodePayload(message.payload), {
          qos: 1,
          properties: { contentType: 'application/json', responseTopic: topic, correlationData: correlation, ...userProperties(message.headers) },
        }),
        signal,
      );
      return await untilAborted(reply, signal);
    } catch (error) {
      throw failure(error, 'request');
    } finally {
      // Gone on reply, deadline or abort: a reply that comes later is dropped.
      this.waiting.delete(key);
      if (replyAddress !== null && subscription) this.unsubscribe(replyAddress, subscription);
    }
  }

  /** The subscription to the connection's own reply topics, made by the first request (again after a refusal). */
  private ownReplies(): Promise<unknown> {
    const current = this.replies;
    if (current) return current;
    const subscribed = this.client.subscribeAsync(`${this.replyPrefix}/+`, { qos: 1 });
    this.replies = subscribed;
    subscribed.catch(() => {
      if (this.replies === subscribed) this.replies = undefined;
    });
    return subscribed;
  }

  /** Joins the topic's subscription, subscribing when no request holds it. */
  private subscribe(topic: string): Subscription {
    const held = this.subscriptions.get(topic);
    if (held) {
      held.waiters++;
      return held;
    }
    const subscription: Subscription = { ready: this.client.subscribeAsync(topic, { qos: 1 }), waiters: 1 };
    this.subscriptions.set(topic, subscription);
    // A refused subscription is not kept: the next request subscribes again.
    subscription.ready.catch(() => {
      if (this.subscriptions.get(topic) === subscription) this.subscriptions.delete(topic);
    });
    return subscription;
  }

  /** Leaves the topic's subscription; the last request to leave unsubscribes. */
  private unsubscribe(topic: string, subscription: Subscription): void {
    subscription.waiters--;
    if (subscription.waiters > 0 || this.subscriptions.get(topic) !== subscription) return;
    this.subscriptions.delete(topic);
    if (!this.closed) this.client.unsubscribeAsync(topic).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.lost('the connection was closed');
    await this.client.endAsync().catch(() => undefined);
  }
}

export const mqttConnector: BrokerConnector = {
  protocol: 'mqtt',
  defaultPort: 1883,
  async connect(endpoint: BrokerEndpoint, timeoutMs: number): Promise<BrokerConnection> {
    if (endpoint.token !== undefined) throw errors.configuration('asyncapi call failed: MQTT takes basic authentication (username and password), not a bearer token');
    try {
      const client = await connectAsync(`mqtt://${endpoint.ip.includes(':') ? `[${endpoint.ip}]` : endpoint.ip}:${endpoint.port}`, {
        protocolVersion: 5,
        clientId: `flunq-${randomUUID()}`,
        clean: true,
        connectTimeout: timeoutMs,
        // One attempt: a lost connection is dropped from the cache and opened again by the next call.
        reconnectPeriod: 0,
        ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
        ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
      });
      // Small packets one after another (subscribe, publish, acknowledgements): Nagle's algorithm
      // against delayed acknowledgements costs about 40 ms per exchange otherwise.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
      return new MqttConnection(client);
    } catch (error) {
      throw failure(error, 'connection');
    }
  },
};
