/**
 * `call: asyncapi` replies are bounded: a reply larger than HTTP_MAX_RESPONSE_BYTES, or JSON nested
 * deeper than EXECUTOR_MAX_JSON_DEPTH, fails the task with a clear error before it is parsed. Through
 * the executor (test profile, real adapters) against the local NATS (127.0.0.1:4222) and RabbitMQ
 * (127.0.0.1:5672), with responders answering on the test's own subject or queue.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as amqpConnect } from 'amqplib';
import { connect as natsConnect } from 'nats';
import { Executor, LocalServer } from './support/call-harness';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'asyncapi');
const HOSTS = { AMQP_HOST: '127.0.0.1:5672', MQTT_HOST: '127.0.0.1:1883', NATS_HOST: '127.0.0.1:4222', NATS_IP: '127.0.0.1' };
const MAX_BYTES = 2048;
const MAX_DEPTH = 16;

/** The answer the responder gives to the order `id`. */
function answerTo(id: string): string {
  if (id === 'large') return JSON.stringify({ confirmed: id, filler: 'x'.repeat(MAX_BYTES) });
  if (id === 'deep') return `${'['.repeat(MAX_DEPTH + 1)}"${id}"${']'.repeat(MAX_DEPTH + 1)}`;
  return JSON.stringify({ confirmed: id, nested: JSON.parse(`${'['.repeat(MAX_DEPTH - 2)}1${']'.repeat(MAX_DEPTH - 2)}`) as unknown });
}

const documents = new LocalServer((req, res) => {
  const [, address] = /^\/([^/]+)\/orders\.yaml$/.exec(req.url) ?? [];
  if (!address) return void res.writeHead(404).end();
  let text = fs.readFileSync(path.join(FIXTURES, 'orders-3.0.yaml'), 'utf8');
  for (const [key, value] of Object.entries({ ...HOSTS, ADDRESS: decodeURIComponent(address) })) text = text.replaceAll(`{{${key}}}`, value);
  res.writeHead(200, { 'Content-Type': 'application/yaml' }).end(text);
});

type Protocol = 'amqp' | 'nats';
const SERVER: Record<Protocol, string> = { amqp: 'rabbit', nats: 'nats' };
/** The task's broker login: the local RabbitMQ takes guest from loopback, and the executor sends no default login. */
const LOGIN: Record<Protocol, Record<string, unknown>> = { amqp: { authentication: { basic: { username: 'guest', password: 'guest' } } }, nats: {} };

/** Answers every order on `address` with `answerTo(order.id)`; returns how to stop. */
async function responder(protocol: Protocol, address: string): Promise<() => Promise<void>> {
  if (protocol === 'nats') {
    const nc = await natsConnect({ servers: '127.0.0.1:4222' });
    nc.subscribe(address, {
      callback: (_error, message) => message.respond(answerTo((JSON.parse(new TextDecoder().decode(message.data)) as { id: string }).id)),
    });
    await nc.flush();
    return () => nc.drain();
  }
  const connection = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await connection.createChannel();
  await channel.assertQueue(address, { durable: false, autoDelete: false });
  await channel.consume(address, (message) => {
    if (!message) return;
    channel.ack(message);
    const id = (JSON.parse(message.content.toString()) as { id: string }).id;
    channel.sendToQueue(message.properties.replyTo as string, Buffer.from(answerTo(id)), { correlationId: message.properties.correlationId as string });
  });
  return async () => {
    await channel.deleteQueue(address);
    await connection.close();
  };
}

describe('call: asyncapi reply limits (local NATS and RabbitMQ)', { timeout: 60_000 }, () => {
  const executor = new Executor({ HTTP_MAX_RESPONSE_BYTES: String(MAX_BYTES), EXECUTOR_MAX_JSON_DEPTH: String(MAX_DEPTH) });
  before(async () => {
    await documents.start();
    await executor.start();
  });
  after(async () => {
    await executor.stop();
    await documents.stop();
  });

  for (const protocol of ['nats', 'amqp'] as const) {
    it(`${protocol}: a reply within the limits is the output; one too large or too deep fails the task before it is parsed`, async () => {
      const address = `flunq-test.reply-limits.${randomUUID().slice(0, 8)}`;
      const stop = await responder(protocol, address);
      try {
        const order = (id: string) =>
          executor.completion(
            executor.submit(`order-${id}`, {
              call: 'asyncapi',
              with: { document: { endpoint: `${documents.origin}/${encodeURIComponent(address)}/orders.yaml` }, operation: 'placeOrder', server: { name: SERVER[protocol] }, message: { payload: { id, quantity: 1 } } },
              output: { as: '${ .message.payload.confirmed }' },
              ...LOGIN[protocol],
            }),
            20_000,
          );
        const fine = await order('fine');
        assert.equal(fine.success, true, JSON.stringify(fine));
        assert.equal(fine.output, 'fine');

        const large = await order('large');
        assert.equal(large.success, false);
        assert.equal(large.error, `the reply to ${address} is ${answerTo('large').length} bytes, more than the limit of ${MAX_BYTES} bytes (HTTP_MAX_RESPONSE_BYTES)`);
        assert.equal(large.error_details?.['status'], 502);
        assert.equal((large.error_details?.['data'] as Record<string, unknown>)['code'], 'RESPONSE_TOO_LARGE');

        const deep = await order('deep');
        assert.equal(deep.success, false);
        assert.equal(deep.error, `the reply to ${address} nests deeper than ${MAX_DEPTH} levels of arrays and objects (EXECUTOR_MAX_JSON_DEPTH)`);
        assert.equal((deep.error_details?.['data'] as Record<string, unknown>)['code'], 'RESPONSE_TOO_DEEP');
      } finally {
        await stop();
      }
    });
  }
});
