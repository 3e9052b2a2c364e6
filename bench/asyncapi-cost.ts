/**
 * The cost of one `call: asyncapi` next to the raw client doing the same exchange, against the
 * local NATS (127.0.0.1:4222), Mosquitto (127.0.0.1:1883) and RabbitMQ (127.0.0.1:5672), with a
 * responder started here on addresses of its own (removed at the end). BENCH_ASYNCAPI_CALLS
 * sequential calls each (default 300), after 20 warm-up calls; the document is loaded once.
 *
 *   node --require ts-node/register/transpile-only bench/asyncapi-cost.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect as amqpConnect } from 'amqplib';
import { connectAsync as mqttConnect } from 'mqtt';
import { connect as natsConnect } from 'nats';
import { ParserAsyncApiDocuments } from '../src/adapters/asyncapi/asyncapi-document-source';
import { OpossumCircuitBreaker } from '../src/adapters/breaker/opossum-circuit-breaker';
import { amqpConnector } from '../src/adapters/messaging/amqp-connection';
import { BrokerClients } from '../src/adapters/messaging/broker-clients';
import { mqttConnector } from '../src/adapters/messaging/mqtt-connection';
import { natsConnector } from '../src/adapters/messaging/nats-connection';
import { AsyncApiCallProtocol } from '../src/application/handlers/call/asyncapi/asyncapi-protocol';
import { CallTaskHandler } from '../src/application/handlers/call/call.handler';
import { asyncApiPayloadValidator } from '../src/config/modules/asyncapi.module';
import { HttpClient, HttpRequest, HttpResponse } from '../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../src/application/ports/openapi-document-source.port';
import { FakeClock } from '../test/support/fake-clock';
import { InMemoryLogger } from '../test/support/in-memory-logger';
import { InMemoryMetrics } from '../test/support/in-memory-metrics';
import { fakeContext, request } from '../test/unit/try/fake-context';

const CALLS = Number(process.env['BENCH_ASYNCAPI_CALLS'] ?? '300');
const FIXTURE = path.resolve(__dirname, '..', 'test', 'fixtures', 'asyncapi', 'orders-3.0.yaml');
const HOSTS: Record<string, string> = { AMQP_HOST: '127.0.0.1:5672', MQTT_HOST: '127.0.0.1:1883', NATS_HOST: '127.0.0.1:4222', NATS_IP: '127.0.0.1' };

function documentFor(address: string): string {
  let text = fs.readFileSync(FIXTURE, 'utf8').replaceAll('{{ADDRESS}}', address);
  for (const [key, value] of Object.entries(HOSTS)) text = text.replaceAll(`{{${key}}}`, value);
  return text;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function measure(label: string, once: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  process.stdout.write(`${label}: p50 ${percentile(samples, 0.5).toFixed(2)} ms, p99 ${percentile(samples, 0.99).toFixed(2)} ms\n`);
}

async function main(): Promise<void> {
  const subject = `flunq-bench.orders.${process.pid}`;
  const topic = `flunq-bench/orders/${process.pid}`;
  const payload = { id: 'o-1', quantity: 2 };

  // Responders: echo the message back where each protocol's convention says.
  const nc = await natsConnect({ servers: '127.0.0.1:4222' });
  nc.subscribe(subject, { callback: (_error, message) => message.respond(message.data) });
  const mq = await mqttConnect('mqtt://127.0.0.1:1883', { protocolVersion: 5, reconnectPeriod: 0 });
  (mq.stream as unknown as { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
  mq.on('message', (arrived, body, packet) => {
    const responseTopic = packet.properties?.responseTopic;
    if (arrived === topic && responseTopic) void mq.publishAsync(responseTopic, body, { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
  });
  await mq.subscribeAsync(topic, { qos: 1 });
  const amqp = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await amqp.createChannel();
  await channel.assertQueue(subject, { durable: false });
  await channel.consume(subject, (message) => {
    if (message) channel.sendToQueue(message.properties.replyTo as string, message.content, { correlationId: message.properties.correlationId as string });
  }, { noAck: true });

  const texts: Record<string, string> = { 'http://docs/nats': documentFor(subject), 'http://docs/amqp': documentFor(subject), 'http://docs/mqtt': documentFor(topic) };
  const http: HttpClient = {
    send: (req: HttpRequest): Promise<HttpResponse> => Promise.resolve({ status: 200, headers: {}, body: new TextEncoder().encode(texts[req.url] ?? ''), url: req.url }),
    close: () => Promise.resolve(),
  };
  const brokers = new BrokerClients([amqpConnector, mqttConnector, natsConnector]);
  const breaker = new OpossumCircuitBreaker(new InMemoryMetrics(), new InMemoryLogger());
  const protocol = new AsyncApiCallProtocol(new ParserAsyncApiDocuments(http, new FakeClock()), brokers, asyncApiPayloadValidator(), breaker, new FakeClock());
  const handler = new CallTaskHandler(http, breaker, {} as OpenApiDocumentSource, new FakeClock(), { idempotencyKeys: false }, [protocol]);
  const call = async (document: string, server: string, operation: string): Promise<() => Promise<void>> => {
    // RabbitMQ 3 offers no anonymous login, and the executor sends no default user: the local broker's guest.
    const authentication = server === 'rabbit' ? { basic: { username: 'guest', password: 'guest' } } : undefined;
    const parameters = { call: 'asyncapi', with: { document: { endpoint: document }, operation, server: { name: server }, message: { payload }, ...(authentication ? { authentication } : {}) } };
    const { context } = await fakeContext(request({ task_type: 'call', config: { parameters } }));
    return async () => {
      const outcome = await handler.execute(context);
      if (!outcome.success) throw new Error(JSON.stringify(outcome));
    };
  };

  await measure('NATS request-reply, call: asyncapi', await call('http://docs/nats', 'nats', 'placeOrder'));
  await measure('NATS request-reply, nc.request', () => nc.request(subject, JSON.stringify(payload), { timeout: 5000 }));
  await measure('NATS publish, call: asyncapi', await call('http://docs/nats', 'nats', 'notifyOrder'));
  await measure('NATS publish, publish + flush', async () => {
    nc.publish(subject, JSON.stringify(payload));
    await nc.flush();
  });

  await measure('AMQP request-reply, call: asyncapi', await call('http://docs/amqp', 'rabbit', 'placeOrder'));
  const replies = await amqp.createChannel();
  const { queue } = await replies.assertQueue('', { exclusive: true });
  let answered: (() => void) | undefined;
  await replies.consume(queue, () => answered?.(), { noAck: true });
  await measure('AMQP request-reply, sendToQueue + one shared reply queue', () =>
    new Promise<void>((resolve) => {
      answered = resolve;
      replies.sendToQueue(subject, Buffer.from(JSON.stringify(payload)), { replyTo: queue, correlationId: 'bench' });
    }),
  );

  await measure('MQTT request-reply, call: asyncapi', await call('http://docs/mqtt', 'mosquitto', 'placeOrder'));
  const responseTopic = `${topic}/replies`;
  await mq.subscribeAsync(responseTopic, { qos: 1 });
  await measure('MQTT request-reply, one client subscribed once', () =>
    new Promise<void>((resolve) => {
      const correlation = Buffer.from(String(Math.random()));
      const listener = (arrived: string, _body: Buffer, packet: { properties?: { correlationData?: Buffer } }): void => {
        if (arrived !== responseTopic || !packet.properties?.correlationData?.equals(correlation)) return;
        mq.removeListener('message', listener);
        resolve();
      };
      mq.on('message', listener);
      void mq.publishAsync(topic, JSON.stringify(payload), { qos: 1, properties: { responseTopic, correlationData: correlation } });
    }),
  );

  await brokers.close();
  await breaker.close();
  await replies.close();
  await channel.deleteQueue(subject);
  await amqp.close();
  await mq.endAsync();
  await nc.drain();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
