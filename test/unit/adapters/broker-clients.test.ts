import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerConnection, BrokerConnector, RawReply } from '../../../src/adapters/messaging/broker-connection';
import { BrokerClients, DEFAULT_BROKER_CLIENT_SETTINGS } from '../../../src/adapters/messaging/broker-clients';
import { OutgoingMessage } from '../../../src/application/ports/message-brokers.port';
import { isWorkflowError } from '../../../src/domain/workflow-error';

/** A connection whose requests are answered only when the test says so. */
class HeldConnection implements BrokerConnection {
  closed = false;
  readonly held: (() => void)[] = [];
  constructor(readonly user: string) {}
  publish(): Promise<void> {
    return Promise.resolve();
  }
  request(_message: OutgoingMessage, correlationId: string): Promise<RawReply> {
    return new Promise((resolve) => this.held.push(() => resolve({ body: new TextEncoder().encode(JSON.stringify({ correlationId })), headers: {} })));
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function brokers(limits: { maxConnections: number; maxConnectionsPerTenant?: number } = { maxConnections: 2 }) {
  const opened: HeldConnection[] = [];
  const connector: BrokerConnector = {
    protocol: 'fake',
    defaultPort: 1,
    connect: (endpoint) => {
      const connection = new HeldConnection(endpoint.username ?? '');
      opened.push(connection);
      return Promise.resolve(connection);
    },
  };
  const clients = new BrokerClients([connector], { ...DEFAULT_BROKER_CLIENT_SETTINGS, ...limits });
  const as = (user: string) => ({ protocol: 'fake', host: '127.0.0.1:1', username: user, password: 'p' });
  const message = { address: 'orders', payload: { id: 1 }, headers: {} };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { clients, opened, as, message, settle };
}

describe('broker connections: only idle ones are closed to make room', () => {
  it('refuses a call that needs a new connection while every kept one waits for replies (503, retryable), and closes only an idle one later', async () => {
    const { clients, opened, as, message, settle } = brokers();
    const first = clients.request(as('a'), message, { tenant: 'acme', timeoutMs: 10_000, replyAddress: null });
    const second = clients.request(as('b'), message, { tenant: 'acme', timeoutMs: 10_000, replyAddress: null });
    await settle();
    assert.equal(opened.length, 2);

    await assert.rejects(clients.publish(as('c'), message, { tenant: 'acme', timeoutMs: 10_000 }), (error: unknown) => {
      assert.ok(isWorkflowError(error));
      assert.equal(error.kind, 'communication');
      assert.equal(error.status, 503);
      assert.equal(error.retryable, true);
      assert.equal(error.detail, 'asyncapi call failed: all 2 broker connections (the most kept open) have calls in flight; try again later');
      return true;
    });
    assert.equal(opened.length, 2, 'no third connection was opened');
    assert.ok(opened.every((c) => !c.closed), 'no connection with a request waiting was closed');

    opened[0]!.held.shift()!();
    await first;
    await clients.publish(as('c'), message, { tenant: 'acme', timeoutMs: 10_000 });
    assert.equal(opened.length, 3);
    assert.deepEqual(opened.map((c) => [c.user, c.closed]), [['a', true], ['b', false], ['c', false]], 'the idle connection made room; the busy one stays');
    opened[1]!.held.shift()!();
    await second;
    await clients.close();
  });
});

describe('broker connections: one tenant holds at most its share', () => {
  const by = (tenant: string) => ({ tenant, timeoutMs: 10_000 });

  it('refuses tenant A at its quota with calls in flight on all it holds (503, retryable, naming the setting), while tenant B still opens a connection', async () => {
    const { clients, opened, as, message, settle } = brokers({ maxConnections: 4, maxConnectionsPerTenant: 2 });
    const a1 = clients.request(as('a1'), message, { ...by('tenant-a'), replyAddress: null });
    const a2 = clients.request(as('a2'), message, { ...by('tenant-a'), replyAddress: null });
    await settle();
    assert.equal(opened.length, 2);

    await assert.rejects(clients.publish(as('a3'), message, by('tenant-a')), (error: unknown) => {
      assert.ok(isWorkflowError(error));
      assert.deepEqual([error.kind, error.code, error.status, error.retryable], ['communication', 'NETWORK', 503, true]);
      assert.equal(error.detail, 'asyncapi call failed: tenant tenant-a has calls in flight on all 2 broker connections one tenant may hold (ASYNCAPI_MAX_CONNECTIONS_PER_TENANT); try again later');
      return true;
    });
    assert.equal(opened.length, 2, 'no connection was opened for the refused call');

    await clients.publish(as('b1'), message, by('tenant-b'));
    assert.deepEqual(opened.map((c) => c.user), ['a1', 'a2', 'b1'], 'the other tenant is not affected');

    // Once one of its calls is done, tenant A lets go of that idle connection (closed: no one else holds it) for the new one.
    opened[0]!.held.shift()!();
    await a1;
    await clients.publish(as('a3'), message, by('tenant-a'));
    assert.deepEqual(opened.map((c) => [c.user, c.closed]), [['a1', true], ['a2', false], ['b1', false], ['a3', false]]);
    opened[1]!.held.shift()!();
    await a2;
    await clients.close();
  });

  it('a connection that fails to open after its caller stopped waiting does not keep the tenant from opening another', async () => {
    let fail: (error: Error) => void = () => undefined;
    let attempts = 0;
    const connector: BrokerConnector = {
      protocol: 'fake',
      defaultPort: 1,
      connect: () => {
        attempts++;
        if (attempts === 1) return new Promise<BrokerConnection>((_resolve, reject) => (fail = reject));
        return Promise.resolve(new HeldConnection('second'));
      },
    };
    const clients = new BrokerClients([connector], { ...DEFAULT_BROKER_CLIENT_SETTINGS, maxConnections: 4, maxConnectionsPerTenant: 1 });
    const target = (user: string) => ({ protocol: 'fake', host: '127.0.0.1:1', username: user, password: 'p' });
    const message = { address: 'orders', payload: { id: 1 }, headers: {} };
    const cancel = new AbortController();
    const first = clients.publish(target('slow'), message, { tenant: 'tenant-a', timeoutMs: 10_000, signal: cancel.signal });
    await new Promise((resolve) => setImmediate(resolve));
    cancel.abort(new Error('task cancelled'));
    await assert.rejects(first, /task cancelled/);
    fail(new Error('connection refused'));
    await new Promise((resolve) => setImmediate(resolve));
    // Tenant A's hold on the failed one is idle, so it is let go for the new one.
    await clients.publish(target('other'), message, { tenant: 'tenant-a', timeoutMs: 10_000 });
    assert.equal(attempts, 2);
    await clients.close();
  });

  it('counts a shared connection for every tenant using it: the one letting go leaves it open for the others', async () => {
    const { clients, opened, as, message, settle } = brokers({ maxConnections: 4, maxConnectionsPerTenant: 1 });
    const a = clients.request(as('shared'), message, { ...by('tenant-a'), replyAddress: null });
    await settle();
    await clients.publish(as('shared'), message, by('tenant-b'));
    assert.equal(opened.length, 1, 'same broker and credentials: one connection for both tenants');
    await assert.rejects(clients.publish(as('other'), message, by('tenant-a')), /tenant tenant-a has calls in flight on all 1 broker connections/);

    opened[0]!.held.shift()!();
    await a;
    await clients.publish(as('other'), message, by('tenant-a'));
    assert.deepEqual(opened.map((c) => [c.user, c.closed]), [['shared', false], ['other', false]], 'tenant B still holds the shared connection');

    await clients.publish(as('b-own'), message, by('tenant-b'));
    assert.deepEqual(opened.map((c) => [c.user, c.closed]), [['shared', true], ['other', false], ['b-own', false]], 'closed once its last holder let go');
    await clients.close();
  });
});
