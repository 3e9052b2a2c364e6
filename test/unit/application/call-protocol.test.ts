import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { fakeContext, request } from '../try/fake-context';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { CallFailure, CallProtocol, ProtocolCall } from '../../../src/application/handlers/call/call-protocol';
import { CircuitBreaker } from '../../../src/application/ports/circuit-breaker.port';
import { HttpClient } from '../../../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { JsonObject } from '../../../src/domain/json';
import { errors } from '../../../src/domain/workflow-error';

/** A protocol that echoes what it was given, with the Authorization header it was handed. */
class EchoProtocol implements CallProtocol {
  readonly callType = 'echo';
  calls: ProtocolCall[] = [];
  constructor(private readonly behaviour: 'ok' | 'fail' | 'fail-with-output' = 'ok') {}
  describe(parameters: JsonObject): JsonObject {
    return { call_type: 'echo', target: parameters['target'] ?? null, authentication: parameters['authentication'] ?? null };
  }
  async call(call: ProtocolCall): Promise<unknown> {
    this.calls.push(call);
    const target = { url: 'echo://peer/?x=1', headers: {} as Record<string, string> };
    await call.authenticate(target);
    call.addSecret('read-by-protocol');
    const answer = { target: call.parameters['target'], authorization: target.headers['Authorization'] ?? null, also: 'read-by-protocol' };
    if (this.behaviour === 'fail') throw errors.configuration('echo: target is required');
    if (this.behaviour === 'fail-with-output') throw new CallFailure(errors.configuration('echo: refused'), answer);
    return answer;
  }
}

const unused = new Proxy({}, { get: () => () => assert.fail('HTTP and OpenAPI are not used by other protocols') });

function handler(protocol: CallProtocol, metrics?: InMemoryMetrics): CallTaskHandler {
  return new CallTaskHandler(unused as HttpClient, unused as CircuitBreaker, unused as OpenApiDocumentSource, new FakeClock(), { idempotencyKeys: false }, [protocol], metrics);
}

function callRequest(parameters: JsonObject, input: JsonObject = {}) {
  return request({ task_type: 'call', config: { parameters }, input });
}

describe('call protocols beside HTTP and OpenAPI', () => {
  it('hands the resolved parameters to the protocol named by call_type and applies output.as', async () => {
    const protocol = new EchoProtocol();
    const { context } = await fakeContext(callRequest({ call_type: 'ECHO', target: '${ .input.where }', output: { as: '${ {seen: .target} }' } }, { where: 'there' }));
    const outcome = await handler(protocol).execute(context);
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.deepEqual(outcome.output, { seen: 'there' });
    assert.equal(protocol.calls[0]?.parameters['target'], 'there');
    assert.equal(protocol.calls[0]?.parameters['output'], undefined, 'output is the handler’s, not the protocol’s');
    assert.equal(outcome.resolvedInput?.['target'], 'there');
  });

  it('accepts the SDL form (call: echo, with: {…})', async () => {
    const protocol = new EchoProtocol();
    const { context } = await fakeContext(callRequest({ call: 'echo', with: { target: 't' } }));
    const outcome = await handler(protocol).execute(context);
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.deepEqual((outcome.output as JsonObject)['target'], 't');
  });

  it('authenticates through the handler and redacts every secret the call used', async () => {
    const protocol = new EchoProtocol();
    const parameters = { call_type: 'echo', target: 't', authentication: { type: 'bearer', config: { token: 's3cret-token' } } };
    const { context } = await fakeContext(callRequest(parameters));
    const outcome = await handler(protocol).execute(context);
    const text = JSON.stringify(outcome);
    assert.equal(outcome.success, true, text);
    assert.ok(!text.includes('s3cret-token'), text);
    assert.ok(!text.includes('read-by-protocol'), text);
    assert.equal(outcome.resolvedInput?.['authentication'], undefined);
  });

  it('reports a protocol’s configuration error as a failed outcome, and keeps a CallFailure’s output', async () => {
    const { context } = await fakeContext(callRequest({ call_type: 'echo' }));
    const failed = await handler(new EchoProtocol('fail')).execute(context);
    assert.equal(failed.success, false);
    assert.equal(!failed.success && failed.error.kind, 'configuration');
    const withOutput = await handler(new EchoProtocol('fail-with-output')).execute((await fakeContext(callRequest({ call_type: 'echo', target: 'x' }))).context);
    assert.equal(withOutput.success, false);
    assert.equal((withOutput.output as JsonObject)['target'], 'x');
    assert.ok(!JSON.stringify(withOutput).includes('read-by-protocol'));
  });

  it('counts each call by protocol and outcome', async () => {
    const metrics = new InMemoryMetrics();
    await handler(new EchoProtocol(), metrics).execute((await fakeContext(callRequest({ call_type: 'echo', target: 't' }))).context);
    await handler(new EchoProtocol('fail'), metrics).execute((await fakeContext(callRequest({ call_type: 'echo' }))).context);
    await handler(new EchoProtocol(), metrics).execute((await fakeContext(callRequest({ call_type: 'soap', url: 'x' }))).context);
    assert.equal(metrics.count('calls', 'echo', 'success'), 1);
    assert.equal(metrics.count('calls', 'echo', 'failure'), 1);
    assert.equal(metrics.count('calls', 'unknown', 'failure'), 1, 'a call type nobody serves');
  });

  it('still refuses a call type no protocol serves', async () => {
    const { context } = await fakeContext(callRequest({ call_type: 'soap', url: 'x' }));
    const outcome = await handler(new EchoProtocol()).execute(context);
    assert.equal(!outcome.success && outcome.error.detail, 'call configuration validation failed: unsupported call type: soap');
  });
});
