/**
 * The example of docs/call-asyncapi.md, run as written against the local NATS server: the document,
 * the responder's behaviour and the task request are read from the doc's code blocks. Only the
 * document's address (a local server on a free port) and the subject (one of this test's own) change.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, NatsConnection } from 'nats';
import { Executor, LocalServer } from './support/call-harness';

const DOC = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'call-asyncapi.md'), 'utf8');

/** The first fenced block of `language` after the line naming `file`. */
function block(file: string, language: string): string {
  const from = DOC.indexOf(`\`${file}\``);
  assert.ok(from >= 0, `the doc names ${file}`);
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(DOC.slice(from));
  assert.ok(match?.[1], `a ${language} block follows ${file}`);
  return match[1];
}

describe('the documented call: asyncapi example', { timeout: 60_000 }, () => {
  const subject = `flunq-test.example.${randomUUID().slice(0, 8)}`;
  const document = block('orders.yaml', 'yaml').replaceAll('example.orders', subject);
  const server = new LocalServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/yaml' }).end(document);
  });
  const executor = new Executor();
  let nc: NatsConnection;

  before(async () => {
    await server.start();
    await executor.start();
    // The doc's responder.js, on this test's subject.
    nc = await connect({ servers: '127.0.0.1:4222' });
    nc.subscribe(subject, {
      callback: (_error, message) => {
        const order = JSON.parse(new TextDecoder().decode(message.data)) as { id: string; quantity: number };
        message.respond(JSON.stringify({ confirmed: order.id, quantity: order.quantity }));
      },
    });
    await nc.flush();
  });

  after(async () => {
    await nc.drain();
    await executor.stop();
    await server.stop();
  });

  it('places the order and reports the confirmation, as the doc says', async () => {
    assert.match(block('responder.js', 'js'), /message\.respond\(JSON\.stringify\(\{ confirmed: order\.id, quantity: order\.quantity \}\)\)/);
    const task = JSON.parse(block('place-order.json', 'json').replace('http://127.0.0.1:8000/orders.yaml', `${server.origin}/orders.yaml`)) as {
      task_name: string;
      input: Record<string, unknown>;
      config: { timeout: number; parameters: Record<string, unknown> };
    };
    const done = await executor.completion(executor.submit(task.task_name, task.config.parameters, { input: task.input, config: { timeout: task.config.timeout } }), 30_000);
    assert.equal(done.success, true, JSON.stringify(done));
    assert.deepEqual(done.output, { confirmed: 'o-42', quantity: 2 });
    assert.match(DOC, /"output": \{"confirmed": "o-42", "quantity": 2\}/, 'the doc states this output');
  });
});
