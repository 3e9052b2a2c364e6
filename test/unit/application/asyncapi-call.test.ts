import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { fakeContext, request } from '../try/fake-context';
import { AsyncApiCallProtocol } from '../../../src/application/handlers/call/asyncapi/asyncapi-protocol';
import { parseAsyncApiCall } from '../../../src/application/handlers/call/asyncapi/asyncapi-call-config';
import { applyServerVariables, resolveTarget } from '../../../src/application/handlers/call/asyncapi/asyncapi-target';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { AsyncApiDocuments, AsyncApiModel } from '../../../src/application/ports/asyncapi-documents.port';
import { CircuitBreaker, CircuitScope } from '../../../src/application/ports/circuit-breaker.port';
import { HttpClient } from '../../../src/application/ports/http-client.port';
import { BrokerTarget, MessageBrokers, OutgoingMessage, PayloadValidator, ReceivedMessage, SchemaViolation } from '../../../src/application/ports/message-brokers.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { JsonObject } from '../../../src/domain/json';
import { errors, WorkflowError } from '../../../src/domain/workflow-error';

const order = { name: 'order', payload: { type: 'object', required: ['id'] } };
const orders = { name: 'orders', address: 'orders.created', messages: [order], servers: [] };
const MODEL: AsyncApiModel = {
  version: '3.0.0',
  servers: [
    { name: 'kafka', protocol: 'kafka', host: 'kafka:9092', variables: {} },
    { name: 'primary', protocol: 'mq', host: 'broker-{region}.example:5672', variables: { region: { default: 'eu', enum: ['eu', 'us'] } } },
  ],
  channels: [orders, { name: 'templated', address: 'orders.{region}', messages: [], servers: [] }],
  operations: [
    { id: 'placeOrder', action: 'send', channel: orders, messages: [order], reply: { address: null } },
    { id: 'notify', action: 'send', channel: orders, messages: [order] },
  ],
};

/** Accepts what `required: [id]` accepts: enough to see the protocol use the validator's answer. */
const validator: PayloadValidator = {
  validate(schema, value): SchemaViolation[] {
    const required = (schema['required'] as string[] | undefined) ?? [];
    const missing = required.filter((key) => typeof value !== 'object' || value === null || !(key in value));
    return missing.map((key) => ({ pointer: '', rule: 'required', message: `must have required property '${key}'` }));
  },
};

class FakeBrokers implements MessageBrokers {
  sent: { target: BrokerTarget; message: OutgoingMessage; kind: string; timeoutMs: number }[] = [];
  constructor(private readonly failure?: WorkflowError) {}
  protocols(): readonly string[] {
    return ['mq'];
  }
  defaultPort(): number | undefined {
    return 5672;
  }
  publish(target: BrokerTarget, message: OutgoingMessage, options: { timeoutMs: number }): Promise<void> {
    this.sent.push({ target, message, kind: 'publish', timeoutMs: options.timeoutMs });
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }
  request(target: BrokerTarget, message: OutgoingMessage, options: { timeoutMs: number }): Promise<ReceivedMessage> {
    this.sent.push({ target, message, kind: 'request', timeoutMs: options.timeoutMs });
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve({ payload: { confirmed: (message.payload as JsonObject)['id'] ?? null }, headers: { 'x-by': 'fake' } });
  }
  async close(): Promise<void> {}
}

class RecordingBreaker implements CircuitBreaker {
  scopes: CircuitScope[] = [];
  run<T>(scope: CircuitScope, action: () => Promise<T>): Promise<T> {
    this.scopes.push(scope);
    return action();
  }
  async close(): Promise<void> {}
}

const documents: AsyncApiDocuments = { load: () => Promise.resolve(MODEL) };
const unused = new Proxy({}, { get: () => () => assert.fail('not used by asyncapi calls') });

function setup(failure?: WorkflowError) {
  const brokers = new FakeBrokers(failure);
  const breaker = new RecordingBreaker();
  const protocol = new AsyncApiCallProtocol(documents, brokers, validator, breaker, new FakeClock());
  const handler = new CallTaskHandler(unused as HttpClient, unused as CircuitBreaker, unused as OpenApiDocumentSource, new FakeClock(), { idempotencyKeys: false }, [protocol]);
  return { brokers, breaker, handler };
}

async function run(parameters: JsonObject, failure?: WorkflowError) {
  const { brokers, breaker, handler } = setup(failure);
  const { context } = await fakeContext(request({ task_type: 'call', config: { parameters } }));
  return { outcome: await handler.execute(context), brokers, breaker };
}

const base = { call: 'asyncapi', with: { document: { endpoint: 'http://docs.example/orders.yaml' }, operation: 'notify', message: { payload: { id: 'o-1' }, headers: { tier: 1 } } } };
function withCall(changes: JsonObject): JsonObject {
  return { ...base, with: { ...base.with, ...changes } };
}

describe('call: asyncapi, the DSL shape', () => {
  it('reads document, operation, server, protocol and message', () => {
    const config = parseAsyncApiCall({ document: { endpoint: { uri: 'http://d/x.yaml' } }, operation: 'op', server: { name: 's', variables: { region: 'us', port: 1 } }, protocol: 'MQTT', message: { payload: 3, headers: { a: true } } });
    assert.deepEqual(config, { documentUrl: 'http://d/x.yaml', operation: 'op', server: { name: 's', variables: { region: 'us', port: '1' } }, protocol: 'mqtt', message: { payload: 3, headers: { a: 'true' } }, subscribe: false });
  });

  const refusals: [string, JsonObject, string][] = [
    ['no document', { operation: 'op', message: {} }, 'document.endpoint is required (the AsyncAPI document’s URL)'],
    ['both operation and channel', { document: 'u', operation: 'a', channel: 'b', message: {} }, 'exactly one of operation (AsyncAPI 3.0) and channel (2.6) is required'],
    ['neither', { document: 'u', message: {} }, 'exactly one of operation (AsyncAPI 3.0) and channel (2.6) is required'],
    ['a subscription alone', { document: 'u', channel: 'c', subscription: {} }, 'a subscription without a message is not supported: the task publishes a message and may wait for its reply'],
    ['a filter', { document: 'u', channel: 'c', message: {}, subscription: { filter: { with: {} } } }, 'subscription.filter is not supported: the reply is the message correlated with the request'],
    ['consume for a while', { document: 'u', channel: 'c', message: {}, subscription: { consume: { for: { seconds: 5 } } } }, 'subscription.consume supports only {amount: 1} (one correlated reply)'],
  ];
  for (const [what, raw, detail] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseAsyncApiCall(raw), (e: unknown) => e instanceof WorkflowError && e.kind === 'configuration' && e.detail === `asyncapi call configuration validation failed: ${detail}`);
    });
  }

  it('picks the first server speaking a supported protocol, applying variables and enforcing enums', () => {
    const config = parseAsyncApiCall({ document: 'u', operation: 'notify', message: {}, server: { variables: { region: 'us' } } });
    const target = resolveTarget(MODEL, config, ['mq']);
    assert.equal(target.server.name, 'primary');
    assert.equal(target.host, 'broker-us.example:5672');
    assert.equal(target.reply, undefined);
    const server = MODEL.servers[1]!;
    assert.equal(applyServerVariables(server, {}), 'broker-eu.example:5672');
    assert.throws(() => applyServerVariables(server, { region: 'mars' }), /server variable 'region' must be one of eu, us/);
  });

  it('refuses a document whose servers speak nothing supported, and a channel address with parameters', () => {
    assert.throws(() => resolveTarget(MODEL, parseAsyncApiCall({ document: 'u', operation: 'notify', message: {} }), ['nothing']), /no server of channel 'orders' speaks a supported protocol \(servers: kafka \(kafka\), primary \(mq\); supported protocols: nothing\)/);
    assert.throws(() => resolveTarget(MODEL, parseAsyncApiCall({ document: 'u', channel: 'templated', message: {} }), ['mq']), /channel 'templated' has parameters in its address \(orders.\{region\}\), which a call cannot fill/);
  });
});

describe('call: asyncapi through the call handler', () => {
  it('publishes to the operation’s address in the tenant’s circuit and reports what was published', async () => {
    const { outcome, brokers, breaker } = await run(base);
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.deepEqual(outcome.output, { published: { operation: 'notify', server: 'primary', protocol: 'mq', address: 'orders.created' } });
    assert.deepEqual(brokers.sent[0]?.message, { address: 'orders.created', payload: { id: 'o-1' }, headers: { tier: '1' } });
    assert.deepEqual(breaker.scopes, [{ tenant: 'acme', host: 'broker-eu.example:5672' }]);
    assert.equal(outcome.resolvedInput?.['call_type'], 'asyncapi');
  });

  it('waits for the reply when the operation declares one, and output.as shapes it', async () => {
    const { outcome, brokers } = await run({ ...withCall({ operation: 'placeOrder' }), output: { as: '${ .message.payload.confirmed }' } });
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.equal(outcome.output, 'o-1');
    assert.equal(brokers.sent[0]?.kind, 'request');
    assert.equal(brokers.sent[0]?.timeoutMs, 300_000, 'the task’s remaining time');
  });

  it('refuses a payload the schema rejects without publishing', async () => {
    const { outcome, brokers } = await run(withCall({ message: { payload: { name: 'x' } } }));
    assert.equal(outcome.success, false);
    assert.equal(!outcome.success && outcome.error.detail, "asyncapi call failed: message does not match 'order': payload (root): must have required property 'id' (required)");
    assert.equal(!outcome.success && outcome.error.code, 'MESSAGE_INVALID');
    assert.equal(brokers.sent.length, 0);
  });

  it('names what the document has for an unknown operation', async () => {
    const { outcome } = await run(withCall({ operation: 'cancel' }));
    assert.equal(!outcome.success && outcome.error.detail, "asyncapi call failed: unknown operation 'cancel' (operations in the document: placeOrder, notify)");
  });

  it('passes basic credentials to the broker and redacts them; refuses OAuth2', async () => {
    const { outcome, brokers } = await run({ ...base, authentication: { basic: { username: 'svc', password: 'p4ss-w0rd-xyz' } } }, errors.timeout('no reply p4ss-w0rd-xyz'));
    assert.deepEqual([brokers.sent[0]?.target.username, brokers.sent[0]?.target.password], ['svc', 'p4ss-w0rd-xyz']);
    assert.equal(outcome.success, false);
    assert.ok(!JSON.stringify(outcome).includes('p4ss-w0rd-xyz'));
    const oauth = await run({ ...base, authentication: { oauth2: { authority: 'http://idp', client: { id: 'a', secret: 'b' } } } });
    assert.equal(!oauth.outcome.success && oauth.outcome.error.detail, 'asyncapi call failed: oauth2 authentication is not supported (basic or bearer)');
  });
});
