/**
 * MQTT request-reply on a reply topic the document fixes (the same for every request), against the
 * local Mosquitto (127.0.0.1:1883): concurrent requests on one connection share the topic's
 * subscription, and the first to get its reply must not unsubscribe the others.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectAsync, IPublishPacket, MqttClient } from 'mqtt';
import { BrokerClients } from '../../src/adapters/messaging/broker-clients';
import { mqttConnector } from '../../src/adapters/messaging/mqtt-connection';
import { BrokerTarget } from '../../src/application/ports/message-brokers.port';

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
});
