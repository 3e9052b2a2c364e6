import { connect, headers as natsHeaders, MsgHdrs, NatsConnection } from 'nats';
import { OutgoingMessage } from '../../application/ports/message-brokers.port';
import { isWorkflowError } from '../../domain/workflow-error';
import { BrokerConnection, BrokerConnector, BrokerEndpoint, brokerRefusedCredentials, brokerUnreachable, encodePayload, RawReply } from './broker-connection';
import { untilAborted } from '../../domain/until-aborted';

/** The header a request's correlation id travels in (the inbox correlates already; responders may echo it). */
export const CORRELATION_HEADER = 'correlation_id';

function failure(error: unknown, what: string): Error {
  if (isWorkflowError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'AUTHORIZATION_VIOLATION' || /authorization/i.test(message)) return brokerRefusedCredentials(`NATS server refused the credentials: ${message}`);
  if (code === '503') return brokerUnreachable(`NATS ${what} failed: no responders`, error);
  return brokerUnreachable(`NATS ${what} failed: ${message}`, error);
}

function outgoingHeaders(headers: Readonly<Record<string, string>>, correlationId?: string): MsgHdrs | undefined {
  const entries = Object.entries(headers);
  if (entries.length === 0 && correlationId === undefined) return undefined;
  const out = natsHeaders();
  for (const [key, value] of entries) out.set(key, value);
  if (correlationId !== undefined) out.set(CORRELATION_HEADER, correlationId);
  return out;
}

function headersOf(headers: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [key, values] of headers) out[key] = values.join(',');
  return out;
}

/**
 * NATS core: a channel address is a subject. A publish is flushed (a round trip to the server)
 * before it counts as accepted; a request goes out with a private inbox as its reply address, which
 * is what correlates the reply (the correlation id also travels as a header).
 */
class NatsBrokerConnection implements BrokerConnection {
  constructor(private readonly nc: NatsConnection) {}

  get closed(): boolean {
    return this.nc.isClosed();
  }

  async publish(message: OutgoingMessage, signal: AbortSignal): Promise<void> {
    try {
      const hdrs = outgoingHeaders(message.headers);
      this.nc.publish(message.address, encodePayload(message.payload), hdrs ? { headers: hdrs } : {});
      await untilAborted(this.nc.flush(), signal);
    } catch (error) {
      throw failure(error, 'publish');
    }
  }

  async request(message: OutgoingMessage, correlationId: string, _replyAddress: string | null, signal: AbortSignal): Promise<RawReply> {
    try {
      // The request's own timeout is only a backstop: `signal` carries the task's deadline.
      const hdrs = outgoingHeaders(message.headers, correlationId);
      const reply = await untilAborted(this.nc.request(message.address, encodePayload(message.payload), { timeout: 2_147_483_647, ...(hdrs ? { headers: hdrs } : {}) }), signal);
      return { body: reply.data, headers: headersOf(reply.headers) };
    } catch (error) {
      throw failure(error, 'request');
    }
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.close().catch(() => undefined);
  }
}

export const natsConnector: BrokerConnector = {
  protocol: 'nats',
  defaultPort: 4222,
  async connect(endpoint: BrokerEndpoint, timeoutMs: number): Promise<BrokerConnection> {
    try {
      const nc = await connect({
        servers: `${endpoint.ip.includes(':') ? `[${endpoint.ip}]` : endpoint.ip}:${endpoint.port}`,
        timeout: timeoutMs,
        reconnect: false,
        ...(endpoint.username === undefined ? {} : { user: endpoint.username }),
        ...(endpoint.password === undefined ? {} : { pass: endpoint.password }),
        ...(endpoint.token === undefined ? {} : { token: endpoint.token }),
      });
      return new NatsBrokerConnection(nc);
    } catch (error) {
      throw failure(error, 'connection');
    }
  },
};
