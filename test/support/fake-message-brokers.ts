import { BrokerCallOptions, BrokerTarget, MessageBrokers, OutgoingMessage, ReceivedMessage, ReplyOptions } from '../../src/application/ports/message-brokers.port';
import { WorkflowError } from '../../src/domain/workflow-error';

/** What a fake broker was handed. */
export interface BrokerDelivery {
  target: BrokerTarget;
  message: OutgoingMessage;
  /** Set for a request: the reply address the call asked for (null: a private one). */
  replyAddress?: string | null;
  /** How long the exchange was given (ms). */
  timeoutMs?: number;
  /** The task's tenant, for its share of the connections. */
  tenant?: string;
}

/**
 * Message brokers in memory, for scenarios: records every message; answers requests on an address
 * with the reply set for it (or with a timeout, as a silent responder would); `fail` makes every
 * exchange throw, as an unreachable broker does.
 */
export class FakeMessageBrokers implements MessageBrokers {
  readonly deliveries: BrokerDelivery[] = [];
  private readonly replies = new Map<string, (message: OutgoingMessage) => ReceivedMessage>();
  failure: WorkflowError | undefined;
  closed = false;

  protocols(): readonly string[] {
    return ['amqp', 'mqtt', 'nats'];
  }

  /** The ports the real connectors use. */
  defaultPort(protocol: string): number | undefined {
    return ({ amqp: 5672, mqtt: 1883, nats: 4222 } as Record<string, number>)[protocol];
  }

  answer(address: string, reply: (message: OutgoingMessage) => ReceivedMessage): void {
    this.replies.set(address, reply);
  }

  publish(target: BrokerTarget, message: OutgoingMessage, options: BrokerCallOptions): Promise<void> {
    this.deliveries.push({ target, message, timeoutMs: options.timeoutMs, tenant: options.tenant });
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }

  request(target: BrokerTarget, message: OutgoingMessage, options: ReplyOptions): Promise<ReceivedMessage> {
    this.deliveries.push({ target, message, replyAddress: options.replyAddress ?? null, timeoutMs: options.timeoutMs, tenant: options.tenant });
    if (this.failure) return Promise.reject(this.failure);
    const reply = this.replies.get(message.address);
    if (!reply) return Promise.reject(new WorkflowError({ kind: 'timeout', code: 'TIMEOUT', title: 'Task Timed Out', detail: `waiting for the reply to ${message.address} timed out after ${options.timeoutMs} ms`, status: 408 }));
    return Promise.resolve(reply(message));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
