/**
 * MQTT request-reply against the local Mosquitto (127.0.0.1:1883). On a reply topic the document
 * fixes (the same for every request), concurrent requests on one connection share the topic's
 * subscription, and the first to get its reply must not unsubscribe the others. Without one, each
 * request's response topic is its own under the connection's reply prefix, subscribed once: replies
 * go to the request carrying the same correlation data, and one to a request that gave up is dropped.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectAsync, IPublishPacket, MqttClient } from 'mqtt';
import { BrokerClients } from '../../src/adapters/messaging/broker-clients';
import { RawReply } from '../../src/adapters/messaging/broker-connection';
import { mqttConnector } from '../../src/adapters/messaging/mqtt-connection';
import { BrokerTarget } from '../../src/application/ports/message-brokers.port';
import { isWorkflowError } from '../../src/domain/workflow-error';

const MOSQUITTO: BrokerTarget = { protocol: 'mqtt', host: '127.0.0.1:1883' };

interface Request {
  payload: { n: number };
  packet: IPublishPacket;
}

describe('MQTT requests sharing a fixed reply topic (local Mosquitto)', { timeout: 30_000 }, () => {
  const id = randomUUID().slice(0, 8);
  const requestTopic = `flunq-test/reply-topic/${id}/requests`;
  const replyTopic = `flunq-test/reply-topic/${id}/replies`;
  let responder: MqttClient;
  const requests: Request[] = [];
  let arrived: (() => void) | undefined;

  before(async () => {
    responder = await connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `responder-${id}`, reconnectPeriod: 0 });
    responder.on('message', (_topic, payload, packet) => {
      requests.push({ payload: JSON.parse(payload.toString('utf8')) as { n: number }, packet });
      arrived?.();
    });
    await responder.subscribeAsync(requestTopic, { qos: 1 });
  });

  after(async () => {
    await responder.endAsync();
  });

  /** Resolves once `count` requests have come in. */
  function requestsIn(count: number): Promise<void> {
    return new Promise((resolve) => {
      arrived = () => {
        if (requests.length >= count) resolve();
      };
      arrived();
    });
  }

  /** Answers one request where MQTT 5 says: its response topic, with its correlation data. */
  async function answer(request: Request): Promise<void> {
    const { responseTopic, correlationData } = request.packet.properties ?? {};
    assert.equal(responseTopic, replyTopic);
    await responder.publishAsync(responseTopic, JSON.stringify({ answered: request.payload.n }), { qos: 1, properties: { correlationData } });
  }

  it('two concurrent requests on one reply topic both get their own reply, the second after the first is done', async () => {
    const brokers = new BrokerClients([mqttConnector]);
    try {
      const ask = (n: number) => brokers.request(MOSQUITTO, { address: requestTopic, payload: { n }, headers: {} }, { tenant: 'acme', timeoutMs: 5_000, replyAddress: replyTopic });
      const first = ask(1);
      const second = ask(2);
      await requestsIn(2);
      const byNumber = new Map(requests.map((r) => [r.payload.n, r]));
      await answer(byNumber.get(1) as Request);
      assert.deepEqual((await first).payload, { answered: 1 });
      // A publish on the same connection is acknowledged only after the broker handled whatever the
      // first request sent before it (an unsubscribe, without the shared subscription).
      await brokers.publish(MOSQUITTO, { address: `flunq-test/reply-topic/${id}/barrier`, payload: null, headers: {} }, { tenant: 'acme', timeoutMs: 5_000 });
      await answer(byNumber.get(2) as Request);
      assert.deepEqual((await second).payload, { answered: 2 });
    } finally {
      await brokers.close();
    }
  });

  it("without a fixed topic: each request's own response topic under one reply prefix of the connection, its own reply, and a late reply dropped", async () => {
    const connection = await mqttConnector.connect({ hostname: '127.0.0.1', ip: '127.0.0.1', port: 1883 }, 5_000);
    const ask = (n: number, signal: AbortSignal = new AbortController().signal): Promise<RawReply> => connection.request({ address: requestTopic, payload: { n }, headers: {} }, randomUUID(), null, signal);
    const body = (reply: RawReply): unknown => JSON.parse(Buffer.from(reply.body).toString('utf8'));
    const respond = (request: Request): Promise<unknown> => {
      const { responseTopic, correlationData } = request.packet.properties ?? {};
      return responder.publishAsync(responseTopic!, JSON.stringify({ answered: request.payload.n }), { qos: 1, properties: { correlationData } });
    };
    try {
      const start = requests.length;
      const first = ask(11);
      const second = ask(12);
      await requestsIn(start + 2);
      const [one, two] = requests.slice(-2).sort((a, b) => a.payload.n - b.payload.n);
      const topics = [one!.packet.properties?.responseTopic ?? '', two!.packet.properties?.responseTopic ?? ''];
      assert.notEqual(topics[0], topics[1], 'each request has its own response topic');
      assert.equal(topics[0]!.replace(/[^/]+$/, ''), topics[1]!.replace(/[^/]+$/, ''), 'under the one reply prefix of the connection');
      assert.match(topics[0]!, /^flunq\/replies\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
      await respond(two!);
      await respond(one!);
      assert.deepEqual(body(await first), { answered: 11 });
      assert.deepEqual(body(await second), { answered: 12 });

      const expired = new AbortController();
      const late = ask(13, expired.signal);
      await requestsIn(start + 3);
      const abandoned = requests.at(-1)!;
      expired.abort(new Error('deadline passed'));
      await assert.rejects(late, /deadline passed/);
      const next = ask(14);
      await requestsIn(start + 4);
      // The late reply arrives first, on the same subscription: it must not be taken for the waiting request.
      await respond(abandoned);
      await respond(requests.at(-1)!);
      assert.deepEqual(body(await next), { answered: 14 });
    } finally {
      await connection.close();
    }
  });
  it('a request waiting when its connection drops fails at once (NETWORK, retryable), not at its deadline', async () => {
    const connection = await mqttConnector.connect({ hostname: '127.0.0.1', ip: '127.0.0.1', port: 1883 }, 5_000);
    const start = requests.length;
    const waiting = connection.request({ address: requestTopic, payload: { n: 21 }, headers: {} }, randomUUID(), null, new AbortController().signal);
    await requestsIn(start + 1);
    // The socket goes away under the client, as when the broker or the network drops it.
    (connection as unknown as { client: MqttClient }).client.stream.destroy();
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(isWorkflowError(error));
      assert.deepEqual([error.code, error.retryable], ['NETWORK', true]);
      assert.match(error.detail, /^MQTT request failed: .* while waiting for the reply$/);
      return true;
    });
    // The request has no deadline of its own: without the drop it would wait for ever.
    assert.equal(connection.closed, true);
  });
});
