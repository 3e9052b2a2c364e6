/**
 * `call: asyncapi` end to end through the executor (test profile, real adapters) against the local
 * RabbitMQ (127.0.0.1:5672), Mosquitto (127.0.0.1:1883) and NATS (127.0.0.1:4222). Documents are
 * the fixtures in test/fixtures/asyncapi, served by a local HTTP server with the test's own queue,
 * topic or subject filled in; each test's responder listens on that address only and is removed after.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net, { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Channel, connect as amqpConnect } from 'amqplib';
import { connectAsync as mqttConnect, MqttClient } from 'mqtt';
import { connect as natsConnect, headers as natsHeaders, NatsConnection } from 'nats';
import { isDeniedAddress } from '../../src/adapters/http/address-policy';
import { amqpConnector } from '../../src/adapters/messaging/amqp-connection';
import { BrokerClients, DEFAULT_BROKER_CLIENT_SETTINGS } from '../../src/adapters/messaging/broker-clients';
import { isWorkflowError } from '../../src/domain/workflow-error';
import { Executor, LocalServer } from './support/call-harness';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'asyncapi');
const HOSTS = { AMQP_HOST: '127.0.0.1:5672', MQTT_HOST: '127.0.0.1:1883', NATS_HOST: '127.0.0.1:4222', NATS_IP: '127.0.0.1' };
type Protocol = 'amqp' | 'mqtt' | 'nats';
const SERVER: Record<Protocol, string> = { amqp: 'rabbit', mqtt: 'mosquitto', nats: 'nats' };
/** The task's broker login: the local RabbitMQ takes guest from loopback, and the executor sends no default login. */
const LOGIN: Record<Protocol, Record<string, unknown>> = { amqp: { authentication: { basic: { username: 'guest', password: 'guest' } } }, mqtt: {}, nats: {} };

/** Serves `/<address>/orders-<version>.yaml` with the address and the brokers filled in. */
const documents = new LocalServer((req, res) => {
  const [, address, file] = /^\/([^/]+)\/(orders-[\d.]+\.yaml)$/.exec(req.url) ?? [];
  if (!address || !file) {
    res.writeHead(404).end();
    return;
  }
  let text = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
  for (const [key, value] of Object.entries({ ...HOSTS, ADDRESS: decodeURIComponent(address) })) text = text.replaceAll(`{{${key}}}`, value);
  res.writeHead(200, { 'Content-Type': 'application/yaml' }).end(text);
});

function documentUrl(address: string, version: '3.0' | '2.6' = '3.0'): string {
  return `${documents.origin}/${encodeURIComponent(address)}/orders-${version}.yaml`;
}

/** A unique queue / topic / subject name for one test. */
function uniqueAddress(protocol: Protocol): string {
  const id = randomUUID().slice(0, 8);
  return protocol === 'mqtt' ? `flunq-test/orders/${id}` : `flunq-test.orders.${id}`;
}

interface Seen {
  payload: unknown;
  headers: Record<string, string>;
}

/** Listens on `address`; answers requests (`reply`) and records every message; `stop` removes it all. */
interface Responder {
  seen: Seen[];
  stop(): Promise<void>;
}

/** Takes the messages of queue `address`, answering each request with its order id when `reply`. */
async function respondOn(channel: Channel, address: string, reply: boolean, seen: Seen[]): Promise<void> {
  await channel.consume(address, (message) => {
    if (!message) return;
    const payload = JSON.parse(message.content.toString()) as { id: string };
    const headers = Object.fromEntries(Object.entries((message.properties.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    seen.push({ payload, headers });
    channel.ack(message);
    const replyTo = message.properties.replyTo as string | undefined;
    if (reply && replyTo) {
      channel.sendToQueue(replyTo, Buffer.from(JSON.stringify({ confirmed: payload.id })), { correlationId: message.properties.correlationId as string, headers: { 'x-confirmed-by': 'amqp-responder' } });
    }
  });
}

async function amqpResponder(address: string, reply: boolean): Promise<Responder> {
  const connection = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
  const seen: Seen[] = [];
  let channel: Channel | undefined;
  let declared = false;
  try {
    channel = await connection.createChannel();
    await channel.assertQueue(address, { durable: false, autoDelete: false });
    declared = true;
    await respondOn(channel, address, reply, seen);
  } catch (error) {
    // Neither the queue nor the connection outlives a responder that could not start.
    if (declared) await channel?.deleteQueue(address).catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw error;
  }
  const ready = channel;
  return {
    seen,
    async stop() {
      await ready.deleteQueue(address);
      await connection.close();
    },
  };
}

async function mqttResponder(address: string, reply: boolean): Promise<Responder> {
  const client: MqttClient = await mqttConnect('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `responder-${randomUUID()}`, reconnectPeriod: 0 });
  const seen: Seen[] = [];
  client.on('message', (topic, body, packet) => {
    if (topic !== address) return;
    const payload = JSON.parse(body.toString()) as { id: string };
    const headers = Object.fromEntries(Object.entries(packet.properties?.userProperties ?? {}).map(([k, v]) => [k, String(v)]));
    seen.push({ payload, headers });
    const responseTopic = packet.properties?.responseTopic;
    if (reply && responseTopic) {
      void client.publishAsync(responseTopic, JSON.stringify({ confirmed: payload.id }), {
        qos: 1,
        properties: { correlationData: packet.properties?.correlationData, userProperties: { 'x-confirmed-by': 'mqtt-responder' } },
      });
    }
  });
  await client.subscribeAsync(address, { qos: 1 });
  return {
    seen,
    async stop() {
      await client.unsubscribeAsync(address);
      await client.endAsync();
    },
  };
}

async function natsResponder(address: string, reply: boolean): Promise<Responder> {
  const nc: NatsConnection = await natsConnect({ servers: '127.0.0.1:4222' });
  const seen: Seen[] = [];
  nc.subscribe(address, {
    callback: (_error, message) => {
      const payload = JSON.parse(new TextDecoder().decode(message.data)) as { id: string };
      const headers: Record<string, string> = {};
      for (const [k, v] of message.headers ?? []) headers[k] = v.join(',');
      seen.push({ payload, headers });
      if (reply && message.reply) {
        const h = natsHeaders();
        h.set('x-confirmed-by', 'nats-responder');
        message.respond(JSON.stringify({ confirmed: payload.id }), { headers: h });
      }
    },
  });
  await nc.flush();
  return {
    seen,
    async stop() {
      await nc.drain();
    },
  };
}

const RESPONDERS: Record<Protocol, (address: string, reply: boolean) => Promise<Responder>> = { amqp: amqpResponder, mqtt: mqttResponder, nats: natsResponder };

async function withResponder<T>(protocol: Protocol, reply: boolean, work: (address: string, responder: Responder) => Promise<T>): Promise<T> {
  const address = uniqueAddress(protocol);
  const responder = await RESPONDERS[protocol](address, reply);
  try {
    return await work(address, responder);
  } finally {
    await responder.stop();
  }
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits (bounded, real time: the broker is real) until `predicate` holds. */
async function eventually(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`never: ${what}`);
}

describe('call: asyncapi against the local brokers', { timeout: 60_000 }, () => {
  const executor = new Executor();
  /** The first document costs the parser's loading (about a second on a busy machine): a wider wait than the harness's. */
  const run = (name: string, parameters: Record<string, unknown>, extra: Parameters<Executor['submit']>[2] = {}) => executor.completion(executor.submit(name, parameters, extra), 20_000);

  before(async () => {
    await documents.start();
    await executor.start();
  });

  after(async () => {
    await executor.stop();
    await documents.stop();
  });

  for (const protocol of ['amqp', 'mqtt', 'nats'] as const) {
    it(`${protocol}: publishes to an operation's channel and waits for the correlated reply (3.0 reply)`, () =>
      withResponder(protocol, true, async (address, responder) => {
        const done = await run('placeOrder', {
          call: 'asyncapi',
          with: {
            document: { endpoint: documentUrl(address) },
            operation: 'placeOrder',
            server: { name: SERVER[protocol] },
            message: { payload: { id: '${ .input.orderId }', quantity: 2 }, headers: { 'x-tenant-tier': 'gold' } },
          },
          ...LOGIN[protocol],
          output: { as: '${ .message.payload }' },
        }, { input: { orderId: `o-${protocol}` } });
        assert.equal(done.success, true, JSON.stringify(done));
        assert.deepEqual(done.output, { confirmed: `o-${protocol}` });
        assert.deepEqual(responder.seen[0]?.payload, { id: `o-${protocol}`, quantity: 2 });
        assert.equal(responder.seen[0]?.headers['x-tenant-tier'], 'gold');
      }));

    it(`${protocol}: publishes without waiting when the operation declares no reply`, () =>
      withResponder(protocol, false, async (address, responder) => {
        const done = await run('notifyOrder', {
          call: 'asyncapi',
          with: { document: { endpoint: documentUrl(address) }, operation: 'notifyOrder', server: { name: SERVER[protocol] }, message: { payload: { id: 'n-1', quantity: 1 } } },
          ...LOGIN[protocol],
        });
        assert.equal(done.success, true, JSON.stringify(done));
        assert.deepEqual(done.output, { published: { operation: 'notifyOrder', server: SERVER[protocol], protocol, address } });
        await eventually(() => responder.seen.length === 1, 'the responder got the message');
        assert.deepEqual(responder.seen[0]?.payload, { id: 'n-1', quantity: 1 });
        assert.ok(executor.metrics.count('broker_exchange', protocol, 'publish', 'success') >= 1, 'recorded by protocol');
      }));

    it(`${protocol}: publishes to a 2.6 channel, and waits for a reply when the task subscribes`, () =>
      withResponder(protocol, true, async (address, responder) => {
        const published = await run('submitOrder', {
          call: 'asyncapi',
          with: { document: { endpoint: documentUrl(address, '2.6') }, channel: address, server: { name: SERVER[protocol] }, message: { payload: { id: 'v2-1' } } },
          ...LOGIN[protocol],
        });
        assert.equal(published.success, true, JSON.stringify(published));
        assert.deepEqual(published.output, { published: { channel: address, server: SERVER[protocol], protocol, address } });
        const replied = await run('submitOrder', {
          call: 'asyncapi',
          with: { document: { endpoint: documentUrl(address, '2.6') }, channel: address, server: { name: SERVER[protocol] }, message: { payload: { id: 'v2-2' } }, subscription: { consume: { amount: 1 } } },
          ...LOGIN[protocol],
        });
        assert.equal(replied.success, true, JSON.stringify(replied));
        const message = (replied.output as { message: { payload: unknown; headers: Record<string, string> } }).message;
        assert.deepEqual(message.payload, { confirmed: 'v2-2' });
        assert.equal(message.headers['x-confirmed-by'], `${protocol}-responder`);
        await eventually(() => responder.seen.length === 2, 'the responder got both messages');
      }));
  }

  it('refuses a payload that does not match the schema, naming the pointer and the rule, before connecting', () =>
    withResponder('nats', false, async (address, responder) => {
      const done = await run('placeOrder', {
        call: 'asyncapi',
        with: { document: { endpoint: documentUrl(address) }, operation: 'notifyOrder', server: { name: 'nats' }, message: { payload: { id: 'o-1', quantity: -73519 } } },
      });
      assert.equal(done.success, false);
      assert.equal(done.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
      assert.equal(done.error_details?.['detail'], "asyncapi call failed: message does not match 'order': payload /quantity: must be >= 1 (minimum)");
      assert.deepEqual((done.error_details?.['data'] as { code: string }).code, 'MESSAGE_INVALID');
      assert.ok(!JSON.stringify(done.error_details).includes('73519'), 'the value is not echoed');
      assert.equal(responder.seen.length, 0);
    }));

  it('names the operations and servers the document has when the task names an unknown one', async () => {
    const address = uniqueAddress('nats');
    const unknownOperation = await run('x', { call: 'asyncapi', with: { document: { endpoint: documentUrl(address) }, operation: 'cancelOrder', message: { payload: {} } } });
    assert.equal(unknownOperation.error_details?.['detail'], "asyncapi call failed: unknown operation 'cancelOrder' (operations in the document: placeOrder, notifyOrder)");
    const unknownServer = await run('x', { call: 'asyncapi', with: { document: { endpoint: documentUrl(address) }, operation: 'notifyOrder', server: { name: 'kafka' }, message: { payload: { id: 'a', quantity: 1 } } } });
    assert.equal(unknownServer.error_details?.['detail'], "asyncapi call failed: unknown server 'kafka' (servers in the document: rabbit, mosquitto, nats, regional)");
    assert.equal(unknownServer.error_details?.['status'], 400);
  });

  it('reports an unreachable broker as a retryable communication error', async () => {
    const port = await closedPort();
    const done = await run('x', {
      call: 'asyncapi',
      with: { document: { endpoint: documentUrl(uniqueAddress('nats')) }, operation: 'notifyOrder', server: { name: 'regional', variables: { port } }, message: { payload: { id: 'a', quantity: 1 } } },
    });
    assert.equal(done.success, false);
    assert.equal(done.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/communication');
    assert.equal((done.error_details?.['data'] as { code: string }).code, 'NETWORK');
    assert.ok(executor.metrics.count('broker_exchange', 'nats', 'publish', 'failure') >= 1, 'the failure recorded by protocol');
  });

  it('amqp: a message no queue takes fails (returned by the broker) instead of vanishing', async () => {
    const address = uniqueAddress('amqp');
    for (const operation of ['notifyOrder', 'placeOrder']) {
      const done = await run('x', { call: 'asyncapi', with: { document: { endpoint: documentUrl(address) }, operation, server: { name: 'rabbit' }, message: { payload: { id: 'a', quantity: 1 } } }, ...LOGIN.amqp });
      assert.equal(done.success, false);
      assert.equal(done.error_details?.['detail'], `AMQP broker returned the message: no queue takes '${address}'`);
      assert.equal((done.error_details?.['data'] as { code: string }).code, 'NETWORK');
    }
  });

  it('reports a reply that does not come within the task deadline as a timeout', () =>
    withResponder('mqtt', false, async (address, responder) => {
      const done = await run('x', {
        call: 'asyncapi',
        with: { document: { endpoint: documentUrl(address) }, operation: 'placeOrder', server: { name: 'mosquitto' }, message: { payload: { id: 'late', quantity: 1 } } },
      }, { config: { timeout: 1 } });
      assert.equal(done.success, false);
      assert.equal(done.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/timeout');
      assert.match(String(done.error_details?.['detail']), /timed out after \d+ ms/);
      assert.equal(responder.seen.length, 1, 'the request itself went out');
    }));

  it('uses basic authentication as the broker credentials and redacts them from the outcome', async () => {
    await withResponder('amqp', true, async (address) => {
      const ok = await run('x', {
        call: 'asyncapi',
        with: { document: { endpoint: documentUrl(address) }, operation: 'placeOrder', server: { name: 'rabbit' }, message: { payload: { id: 'auth', quantity: 1 } } },
        authentication: { basic: { username: 'guest', password: 'guest' } },
      });
      assert.equal(ok.success, true, JSON.stringify(ok));
      const refused = await run('x', {
        call: 'asyncapi',
        with: { document: { endpoint: documentUrl(address) }, operation: 'placeOrder', server: { name: 'rabbit' }, message: { payload: { id: 'auth', quantity: 1 } } },
        authentication: { basic: { username: 'guest', password: 'wr0ng-s3cret-pw' } },
      });
      assert.equal(refused.success, false);
      assert.equal(refused.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/authentication');
      const text = JSON.stringify(refused);
      assert.ok(!text.includes('wr0ng-s3cret-pw'), text);
      assert.equal((refused.data.input as Record<string, unknown>)['authentication'], undefined);
    });
  });

  it('amqp: sends no default login (never guest/guest) without the task\'s authentication; a broker without anonymous login refuses it clearly', async () => {
    const address = uniqueAddress('amqp');
    const done = await run('x', { call: 'asyncapi', with: { document: { endpoint: documentUrl(address) }, operation: 'notifyOrder', server: { name: 'rabbit' }, message: { payload: { id: 'anon', quantity: 1 } } } });
    assert.equal(done.success, false);
    assert.equal(done.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/authentication');
    assert.equal((done.error_details?.['data'] as { code: string }).code, 'AUTHENTICATION_FAILED');
    assert.equal(done.error_details?.['detail'], 'AMQP broker requires credentials: it offers no anonymous login (SASL ANONYMOUS) and the task gives no authentication (give basic: username and password)');
  });

  it('applies the outbound address policy to the broker before connecting', async () => {
    const brokers = new BrokerClients([amqpConnector], { ...DEFAULT_BROKER_CLIENT_SETTINGS, maxConnections: 2, isDenied: isDeniedAddress, denyPrivateNetworks: true });
    try {
      await assert.rejects(brokers.publish({ protocol: 'amqp', host: '127.0.0.1:5672' }, { address: 'never', payload: {}, headers: {} }, { tenant: 'acme', timeoutMs: 2000 }), (error: unknown) => {
        assert.ok(isWorkflowError(error));
        assert.equal(error.code, 'ADDRESS_DENIED');
        return true;
      });
    } finally {
      await brokers.close();
    }
  });
});
