import { createHash, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Metrics } from '../../application/ports/metrics.port';
import { BrokerCallOptions, BrokerTarget, MessageBrokers, OutgoingMessage, ReceivedMessage, ReplyOptions } from '../../application/ports/message-brokers.port';
import { DEFAULT_MAX_JSON_DEPTH } from '../../domain/json-limits';
import { TenantHolds } from '../../domain/tenant-holds';
import { errors } from '../../domain/workflow-error';
import { BrokerConnection, BrokerConnector, BrokerEndpoint, brokerAddressDenied, brokerUnreachable, deadlineSignal, decodeReply, ReplyLimits } from './broker-connection';
import { untilAborted } from '../../domain/until-aborted';

export interface BrokerClientSettings {
  /** Connections held at once (least recently used closed first). */
  maxConnections: number;
  /**
   * Connections one tenant may hold at once (ASYNCAPI_MAX_CONNECTIONS_PER_TENANT): those it opened
   * or runs calls on, a shared one counting for every tenant using it (see TenantHolds).
   */
  maxConnectionsPerTenant: number;
  /**
   * The outbound address policy (CALL_DENY_PRIVATE_NETWORKS): true for an address that must not be
   * reached. Every address a broker's name resolves to is checked, and the one checked is dialled.
   */
  isDenied: (address: string) => boolean;
  /** Whether the policy is on (`localhost` is refused by name then). */
  denyPrivateNetworks: boolean;
  /** What a reply may be: its size and JSON nesting, checked before it is parsed. */
  reply: ReplyLimits;
}

export const DEFAULT_BROKER_CLIENT_SETTINGS: BrokerClientSettings = {
  maxConnections: 32,
  maxConnectionsPerTenant: 8,
  isDenied: () => false,
  denyPrivateNetworks: false,
  reply: { maxBytes: 10 * 1024 * 1024, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH },
};

/** `host`, `host:port`, `[v6]:port` → name and port. */
function splitHost(host: string, defaultPort: number): { hostname: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6) return { hostname: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const at = host.lastIndexOf(':');
  if (at > 0 && host.indexOf(':') === at) {
    const port = Number(host.slice(at + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw errors.configuration(`asyncapi call failed: invalid port in server host ${host}`);
    return { hostname: host.slice(0, at), port };
  }
  if (host === '' || /[/\s]/.test(host)) throw errors.configuration(`asyncapi call failed: invalid server host '${host}'`);
  return { hostname: host, port: defaultPort };
}

function secretKey(target: BrokerTarget): string {
  return createHash('sha256').update(`${target.username ?? ''}\n${target.password ?? ''}\n${target.token ?? ''}`).digest('base64url');
}

/**
 * The MessageBrokers port over amqplib, mqtt and nats: one connection per protocol, broker and
 * credentials, opened on first use and shared by calls, at most `maxConnections` (the least
 * recently used one without exchanges in flight is closed to make room; when every one has some, a
 * call that needs a new one is refused, retryable), at most `maxConnectionsPerTenant` of them held by
 * one tenant (TenantHolds: a tenant that needs one more lets go of its least recently used idle one;
 * when it has exchanges in flight on all it holds, its call is refused, retryable), a broken one
 * opened again by the next call, all closed by `close`.
 */
export class BrokerClients implements MessageBrokers {
  private readonly connectors: ReadonlyMap<string, BrokerConnector>;
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  /** The tenants holding each connection key, and the exchanges running on it (opening it included). */
  private readonly holds: TenantHolds;
  private closing = false;

  constructor(
    connectors: readonly BrokerConnector[],
    private readonly settings: BrokerClientSettings = DEFAULT_BROKER_CLIENT_SETTINGS,
    private readonly metrics?: Metrics,
  ) {
    this.connectors = new Map(connectors.map((c) => [c.protocol, c]));
    this.holds = new TenantHolds(settings.maxConnectionsPerTenant);
  }

  protocols(): readonly string[] {
    return [...this.connectors.keys()].sort();
  }

  defaultPort(protocol: string): number | undefined {
    return this.connectors.get(protocol)?.defaultPort;
  }

  publish(target: BrokerTarget, message: OutgoingMessage, options: BrokerCallOptions): Promise<void> {
    return this.exchange(target, 'publish', options, `publishing to ${message.address}`, (connection, signal) => connection.publish(message, signal));
  }

  request(target: BrokerTarget, message: OutgoingMessage, options: ReplyOptions): Promise<ReceivedMessage> {
    return this.exchange(target, 'request', options, `waiting for the reply to ${message.address}`, async (connection, signal) =>
      decodeReply(await connection.request(message, randomUUID(), options.replyAddress ?? null, signal), this.settings.reply, message.address),
    );
  }

  /** One exchange within the deadline, recorded by protocol once the protocol is known to be spoken. */
  private async exchange<T>(target: BrokerTarget, operation: 'publish' | 'request', options: BrokerCallOptions, what: string, work: (connection: BrokerConnection, signal: AbortSignal) => Promise<T>): Promise<T> {
    const connector = this.connectors.get(target.protocol);
    if (!connector) throw errors.configuration(`asyncapi call failed: protocol ${target.protocol} is not supported (supported: ${this.protocols().join(', ')})`);
    const deadline = deadlineSignal(options.timeoutMs, options.signal, what);
    const started = performance.now();
    let outcome: 'success' | 'failure' = 'failure';
    const key = `${target.protocol}\n${target.host}\n${secretKey(target)}`;
    let admitted = false;
    try {
      // In flight from now until the exchange ends: a connection with calls in flight is never closed to make room.
      this.admit(options.tenant, key);
      admitted = true;
      const connection = await this.connection(connector, target, key, deadline.signal, options.timeoutMs);
      const result = await work(connection, deadline.signal);
      outcome = 'success';
      return result;
    } finally {
      if (admitted) {
        this.holds.end(options.tenant, key);
        // A key left without a connection (it failed to open or was closed) is held by no one once idle.
        if (!this.connections.has(key) && !this.holds.busy(key)) this.holds.forget(key);
      }
      deadline.dispose();
      this.metrics?.brokerExchange(target.protocol, operation, outcome, performance.now() - started);
    }
  }

  /** One more exchange of `tenant` on `key`, within the tenant's share of the connections. */
  private admit(tenant: string, key: string): void {
    if (this.closing) throw brokerUnreachable('the executor is shutting down');
    const unheld = this.holds.begin(tenant, key);
    if (!unheld) {
      throw brokerUnreachable(
        `asyncapi call failed: tenant ${tenant} has calls in flight on all ${this.holds.perTenant} broker connections one tenant may hold (ASYNCAPI_MAX_CONNECTIONS_PER_TENANT); try again later`,
      );
    }
    for (const released of unheld) this.drop(released);
  }

  /** Closes the connection of `key`, when there is one. */
  private drop(key: string): void {
    const dropped = this.connections.get(key);
    this.connections.delete(key);
    dropped?.then((c) => c.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  private async connection(connector: BrokerConnector, target: BrokerTarget, key: string, signal: AbortSignal, timeoutMs: number): Promise<BrokerConnection> {
    let pending = this.connections.get(key);
    if (pending) {
      const open = await pending.catch(() => undefined);
      if (open && !open.closed) {
        this.connections.delete(key);
        this.connections.set(key, pending);
        return open;
      }
      if (this.connections.get(key) === pending) this.connections.delete(key);
    }
    // Room for one more: the least recently used connection without calls in flight is closed; when every one has some, the call is refused.
    while (this.connections.size >= this.settings.maxConnections) {
      const idle = [...this.connections.keys()].find((k) => !this.holds.busy(k));
      if (idle === undefined) {
        throw brokerUnreachable(`asyncapi call failed: all ${this.settings.maxConnections} broker connections (the most kept open) have calls in flight; try again later`);
      }
      this.drop(idle);
      this.holds.forget(idle);
    }
    pending = this.open(connector, target, timeoutMs);
    this.connections.set(key, pending);
    const opened = pending;
    opened.catch(() => {
      if (this.connections.get(key) === opened) this.connections.delete(key);
    });
    return untilAborted(opened, signal);
  }

  private async open(connector: BrokerConnector, target: BrokerTarget, timeoutMs: number): Promise<BrokerConnection> {
    const { hostname, port } = splitHost(target.host, connector.defaultPort);
    const ip = await this.resolve(hostname);
    const endpoint: BrokerEndpoint = {
      hostname,
      ip,
      port,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.token === undefined ? {} : { token: target.token }),
    };
    return connector.connect(endpoint, timeoutMs);
  }

  /** The address to dial, after the address policy checked every address the name has. */
  private async resolve(hostname: string): Promise<string> {
    const { denyPrivateNetworks, isDenied } = this.settings;
    if (isIP(hostname) !== 0) {
      if (denyPrivateNetworks && isDenied(hostname)) throw brokerAddressDenied(hostname, hostname);
      return hostname;
    }
    if (denyPrivateNetworks && (hostname.toLowerCase() === 'localhost' || hostname.toLowerCase().endsWith('.localhost'))) throw brokerAddressDenied(hostname, '127.0.0.1');
    let addresses;
    try {
      addresses = await lookup(hostname, { all: true });
    } catch (error) {
      throw brokerUnreachable(`cannot resolve ${hostname}: ${(error as Error).message}`, error);
    }
    const denied = denyPrivateNetworks ? addresses.find((a) => isDenied(a.address)) : undefined;
    if (denied) throw brokerAddressDenied(hostname, denied.address);
    const first = addresses[0];
    if (!first) throw brokerUnreachable(`no address for ${hostname}`);
    return first.address;
  }
}
