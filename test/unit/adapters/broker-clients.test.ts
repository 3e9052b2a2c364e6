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

function brokers() {
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
  const clients = new BrokerClients([connector], { ...DEFAULT_BROKER_CLIENT_SETTINGS, maxConnections: 2 });
  const as = (user: string) => ({ protocol: 'fake', host: '127.0.0.1:1', username: user, password: 'p' });
  const message = { address: 'orders', payload: { id: 1 }, headers: {} };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { clients, opened, as, message, settle };
}

describe('broker connections: only idle ones are closed to make room', () => {
  it('refuses a call that needs a new connection while every kept one waits for replies (503, retryable), and closes only an idle one later', async () => {
    const { clients, opened, as, message, settle } = brokers();
    const first = clients.request(as('a'), message, { timeoutMs: 10_000, replyAddress: null });
    const second = clients.request(as('b'), message, { timeoutMs: 10_000, replyAddress: null });
    await settle();
    assert.equal(opened.length, 2);

    await assert.rejects(clients.publish(as('c'), message, { timeoutMs: 10_000 }), (error: unknown) => {
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
    await clients.publish(as('c'), message, { timeoutMs: 10_000 });
    assert.equal(opened.length, 3);
    assert.deepEqual(opened.map((c) => [c.user, c.closed]), [['a', true], ['b', false], ['c', false]], 'the idle connection made room; the busy one stays');
    opened[1]!.held.shift()!();
    await second;
    await clients.close();
  });
});
