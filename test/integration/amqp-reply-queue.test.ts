/**
 * AMQP request-reply over the connection's one reply queue, against the local RabbitMQ
 * (127.0.0.1:5672, guest/guest): concurrent requests share the queue and each gets the reply
 * carrying its correlation id; a reply to a request that gave up is dropped, never handed to
 * another; a request no queue takes fails at once (`mandatory`); one whose reply channel closes
 * fails at once, retryable.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { amqpConnector } from '../../src/adapters/messaging/amqp-connection';
import { BrokerConnection, RawReply } from '../../src/adapters/messaging/broker-connection';
import { isWorkflowError } from '../../src/domain/workflow-error';

const ENDPOINT = { hostname: '127.0.0.1', ip: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' };

describe('AMQP requests on one reply queue per connection (local RabbitMQ)', { timeout: 30_000 }, () => {
  const address = `flunq-test.reply-queue.${randomUUID().slice(0, 8)}`;
  let responder: ChannelModel;
  let channel: Channel;
  const requests: ConsumeMessage[] = [];
  let arrived: (() => void) | undefined;
  let connection: BrokerConnection;

  before(async () => {
    responder = await connect('amqp://guest:guest@127.0.0.1:5672');
    channel = await responder.createChannel();
    await channel.assertQueue(address, { durable: false, autoDelete: false });
    await channel.consume(
      address,
      (message) => {
        if (!message) return;
        requests.push(message);
        arrived?.();
      },
      { noAck: true },
    );
    connection = await amqpConnector.connect(ENDPOINT, 5_000);
  });

  after(async () => {
    await connection.close();
    await channel.deleteQueue(address);
    await responder.close();
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

  /** Answers a request where AMQP says: its `replyTo`, with its correlation id. */
  function answer(request: ConsumeMessage, body: unknown): void {
    channel.sendToQueue(request.properties.replyTo as string, Buffer.from(JSON.stringify(body)), { correlationId: request.properties.correlationId as string });
  }

  const ask = (n: number, signal: AbortSignal = new AbortController().signal): Promise<RawReply> => connection.request({ address, payload: { n }, headers: {} }, `corr-${n}-${randomUUID()}`, null, signal);
  const body = (reply: RawReply): unknown => JSON.parse(Buffer.from(reply.body).toString('utf8'));

  it('gives two concurrent requests on one connection each its own reply, through one reply queue', async () => {
    const first = ask(1);
    const second = ask(2);
    await requestsIn(2);
    const [one, two] = requests.slice(-2);
    assert.equal(one!.properties.replyTo, two!.properties.replyTo, 'one reply queue for the connection');
    // Answered in the other order: each reply still goes to the request carrying its correlation id.
    answer(two!, { answered: (JSON.parse(two!.content.toString()) as { n: number }).n });
    answer(one!, { answered: (JSON.parse(one!.content.toString()) as { n: number }).n });
    assert.deepEqual(body(await first), { answered: 1 });
    assert.deepEqual(body(await second), { answered: 2 });
  });

  it('drops a late reply to a request that gave up: the next request gets only its own', async () => {
    const before = requests.length;
    const expired = new AbortController();
    const late = ask(3, expired.signal);
    await requestsIn(before + 1);
    const abandoned = requests.at(-1)!;
    expired.abort(new Error('deadline passed'));
    await assert.rejects(late, /deadline passed/);

    const next = ask(4);
    await requestsIn(before + 2);
    const current = requests.at(-1)!;
    assert.equal(current.properties.replyTo, abandoned.properties.replyTo, 'the same reply queue');
    // The late reply arrives first, on the same queue: it must not be taken for the waiting request.
    answer(abandoned, { answered: 3 });
    answer(current, { answered: 4 });
    assert.deepEqual(body(await next), { answered: 4 });
  });

  it('fails a request no queue takes at once (returned, retryable), and the queue keeps serving others', async () => {
    const unrouted = connection.request({ address: `flunq-test.nobody.${randomUUID().slice(0, 8)}`, payload: {}, headers: {} }, randomUUID(), null, new AbortController().signal);
    await assert.rejects(unrouted, (error: unknown) => {
      assert.ok(isWorkflowError(error));
      assert.deepEqual([error.code, error.retryable], ['NETWORK', true]);
      assert.match(error.detail, /^AMQP broker returned the message: no queue takes 'flunq-test\.nobody\./);
      return true;
    });
    const before = requests.length;
    const next = ask(5);
    await requestsIn(before + 1);
    answer(requests.at(-1)!, { answered: 5 });
    assert.deepEqual(body(await next), { answered: 5 });
  });

  it('fails a request waiting on a reply channel that closes at once (retryable), instead of waiting out its deadline', async () => {
    const other = await amqpConnector.connect(ENDPOINT, 5_000);
    const before = requests.length;
    const waiting = other.request({ address, payload: { n: 6 }, headers: {} }, randomUUID(), null, new AbortController().signal);
    await requestsIn(before + 1);
    await other.close();
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(isWorkflowError(error));
      assert.deepEqual([error.code, error.retryable], ['NETWORK', true]);
      assert.equal(error.detail, 'AMQP request failed: the reply channel closed before the reply came');
      return true;
    });
  });
});
