import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { FakeGrpcClient } from '../../support/fake-grpc-client';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { fakeContext, request } from '../try/fake-context';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { GrpcCallProtocol } from '../../../src/application/handlers/call/grpc-call';
import { parseGrpcCall } from '../../../src/application/handlers/call/grpc-call-config';
import { GRPC_STATUS, grpcStatusError, grpcStatusMeaning } from '../../../src/application/handlers/call/grpc-status';
import { CircuitBreaker, CircuitScope } from '../../../src/application/ports/circuit-breaker.port';
import { HttpClient } from '../../../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { JsonObject } from '../../../src/domain/json';

/** Runs every action and records the scope and whether the result counted as a failure. */
class RecordingBreaker implements CircuitBreaker {
  readonly runs: { scope: CircuitScope; failure: boolean }[] = [];
  async run<T>(scope: CircuitScope, action: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T> {
    const result = await action();
    this.runs.push({ scope, failure: isFailure(result) });
    return result;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const unused = new Proxy({}, { get: () => () => assert.fail('HTTP and OpenAPI are not used by grpc calls') });

const SHAPE = { proto: { endpoint: 'https://protos.example.test/greeter.proto' }, service: { name: 'flunq.test.Greeter', host: 'greeter.example.test', port: 50051 }, method: 'SayHello', arguments: { person: { name: 'Ada' } } };

function setup(client: FakeGrpcClient) {
  const breaker = new RecordingBreaker();
  const metrics = new InMemoryMetrics();
  const handler = new CallTaskHandler(unused as HttpClient, breaker, unused as OpenApiDocumentSource, new FakeClock(), { idempotencyKeys: false }, [new GrpcCallProtocol(client, breaker, new FakeClock(), { maxJsonDepth: 8 })], metrics);
  return { handler, breaker, metrics };
}

async function run(client: FakeGrpcClient, withPart: JsonObject, extra: JsonObject = {}) {
  const { handler, breaker, metrics } = setup(client);
  const { context } = await fakeContext(request({ task_type: 'call', config: { parameters: { call: 'grpc', with: withPart, ...extra } } }));
  return { outcome: await handler.execute(context), breaker, metrics };
}

describe('the gRPC status table', () => {
  it('names all 17 codes, retries only what can pass, and counts only service failures against the circuit', () => {
    assert.equal(GRPC_STATUS.length, 17);
    const retryable = GRPC_STATUS.filter((m) => m.retryable).map((m) => m.name);
    assert.deepEqual(retryable, ['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'UNAVAILABLE']);
    const breaking = GRPC_STATUS.filter((m) => m.breaksCircuit).map((m) => m.name);
    assert.deepEqual(breaking, ['UNKNOWN', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNAVAILABLE']);
    assert.equal(grpcStatusMeaning(99).name, 'UNKNOWN');
  });

  it('maps statuses to the kinds and HTTP statuses a try matches on', () => {
    const cases: [number, string, number, boolean][] = [
      [3, 'validation', 400, false],
      [4, 'communication', 504, true],
      [5, 'communication', 404, false],
      [7, 'authorization', 403, false],
      [8, 'communication', 429, true],
      [12, 'communication', 501, false],
      [13, 'communication', 500, false],
      [14, 'communication', 503, true],
      [16, 'authentication', 401, false],
    ];
    for (const [code, kind, status, retryable] of cases) {
      const error = grpcStatusError(code, 'why', { service: 's' });
      assert.deepEqual([error.kind, error.status, error.retryable, error.code], [kind, status, retryable, 'GRPC_STATUS'], `code ${code}`);
      assert.equal(error.data?.['grpc_status'], GRPC_STATUS[code]?.name);
    }
    assert.equal(grpcStatusError(14, '', {}).detail, 'gRPC call failed with status UNAVAILABLE (14)');
    assert.equal(grpcStatusError(14, 'no route', {}).detail, 'gRPC call failed with status UNAVAILABLE (14): no route');
  });
});

describe('the call: grpc shape', () => {
  it('reads the DSL 1.0 shape, TLS from service.tls or port 443, a file URL as a path', () => {
    const config = parseGrpcCall({ ...SHAPE, metadata: { 'X-Request-Id': 'r-1' } });
    assert.deepEqual(config.target, { host: 'greeter.example.test', port: 50051, tls: false });
    assert.deepEqual(config.metadata, { 'x-request-id': 'r-1' });
    assert.equal(parseGrpcCall({ ...SHAPE, service: { ...SHAPE.service, port: 443 } }).target.tls, true);
    assert.equal(parseGrpcCall({ ...SHAPE, service: { ...SHAPE.service, tls: true } }).target.tls, true);
    assert.equal(parseGrpcCall({ ...SHAPE, service: { ...SHAPE.service, port: 443, tls: false } }).target.tls, false);
    assert.equal(parseGrpcCall({ ...SHAPE, proto: { endpoint: { uri: 'file:///protos/my%20api.proto' } } }).proto, '/protos/my api.proto');
    assert.deepEqual(parseGrpcCall({ ...SHAPE, arguments: undefined }).arguments, {});
    assert.equal(parseGrpcCall({ ...SHAPE, service: { ...SHAPE.service, host: '[::1]' } }).target.host, '::1');
    assert.equal(parseGrpcCall({ ...SHAPE, service: { ...SHAPE.service, host: 'fe80::1%eth0' } }).target.host, 'fe80::1%eth0');
  });

  it('refuses what it cannot call, naming the field', () => {
    const refusals: [JsonObject, string][] = [
      [{ ...SHAPE, proto: undefined }, 'with.proto.endpoint is required'],
      [{ ...SHAPE, proto: { endpoint: { uri: 'https://x/p.proto', authentication: { bearer: { token: 't' } } } } }, 'authentication of the proto document endpoint is not supported'],
      [{ ...SHAPE, service: undefined }, 'with.service is required (name, host, port)'],
      [{ ...SHAPE, service: { host: 'h', port: 1 } }, 'with.service.name is required'],
      [{ ...SHAPE, service: { name: 's', host: 'h/x', port: 1 } }, 'with.service.host must be a host name or address'],
      [{ ...SHAPE, service: { name: 's', host: 'unix:/tmp/s', port: 1 } }, 'with.service.host must be a host name or address'],
      [{ ...SHAPE, service: { name: 's', host: 'user@h', port: 1 } }, 'with.service.host must be a host name or address'],
      [{ ...SHAPE, service: { name: 's', host: 'h', port: 0 } }, 'with.service.port must be an integer from 1 to 65535'],
      [{ ...SHAPE, service: { name: 's', host: 'h' } }, 'with.service.port must be an integer from 1 to 65535'],
      [{ ...SHAPE, service: { name: 's', host: 'h', port: 1, tls: 'yes' } }, 'with.service.tls must be true or false'],
      [{ ...SHAPE, method: '' }, 'with.method is required'],
      [{ ...SHAPE, arguments: [1] }, 'with.arguments must be an object'],
      [{ ...SHAPE, metadata: { 'grpc-timeout': '1' } }, 'metadata name not allowed: grpc-timeout'],
      [{ ...SHAPE, metadata: { 'trace-bin': 'x' } }, 'metadata name not allowed: trace-bin'],
      [{ ...SHAPE, metadata: { 'x-a': { no: 1 } } }, 'metadata x-a must be a string'],
    ];
    for (const [parameters, detail] of refusals) {
      assert.throws(() => parseGrpcCall(parameters), (e: Error & { kind?: string }) => e.message === `grpc call: ${detail}` && e.kind === 'configuration', detail);
    }
  });
});

describe('call: grpc through the call handler', () => {
  it('sends the arguments with the authentication as metadata, in the circuit of tenant and host:port', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [(r) => ({ messages: [{ message: `Hello, ${String((r.message['person'] as JsonObject)['name'])}`, auth: r.metadata['authorization'] }] })]);
    const { outcome, breaker } = await run(client, { ...SHAPE, authentication: { bearer: { token: 'tok-123' } } }, { output: { as: '${ .message }' } });
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.equal(outcome.output, 'Hello, Ada');
    assert.equal(client.calls[0]?.request.metadata['authorization'], 'Bearer tok-123');
    assert.equal(client.calls[0]?.request.tenant, 'acme', 'the tenant travels with the call, for its share of the channels');
    assert.deepEqual(breaker.runs, [{ scope: { tenant: 'acme', host: 'greeter.example.test:50051' }, failure: false }]);
    assert.doesNotMatch(JSON.stringify(outcome), /tok-123/);
  });

  it('takes the authentication from with.service.authentication (where DSL 1.0 puts it), redacted from the outcome and its input', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ messages: [{ message: 'hi' }] }]);
    const service = { ...SHAPE.service, authentication: { bearer: { token: 'svc-tok-456' } } };
    const { outcome } = await run(client, { ...SHAPE, service });
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.equal(client.calls[0]?.request.metadata['authorization'], 'Bearer svc-tok-456');
    assert.doesNotMatch(JSON.stringify(outcome), /svc-tok-456|authentication/);
  });

  it('refuses an authentication given both in with.authentication and with.service.authentication, sending nothing', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ messages: [{}] }]);
    const service = { ...SHAPE.service, authentication: { bearer: { token: 'a' } } };
    const { outcome } = await run(client, { ...SHAPE, service, authentication: { bearer: { token: 'b' } } });
    assert.equal(outcome.success, false);
    assert.equal(!outcome.success && outcome.error.kind, 'configuration');
    assert.equal(!outcome.success && outcome.error.detail, 'grpc call: with.authentication and with.service.authentication are both given: give one of them');
    assert.equal(client.calls.length, 0);
  });

  it('measures each call by protocol and outcome', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ messages: [{}] }]);
    const { metrics } = await run(client, SHAPE);
    assert.equal(metrics.count('calls', 'grpc', 'success'), 1);
  });

  it('fails with the status as output; UNAVAILABLE counts against the circuit, INVALID_ARGUMENT does not', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ code: 14, details: 'connection refused' }, { code: 3, details: 'bad name' }]);
    const first = await run(client, SHAPE);
    assert.equal(first.outcome.success, false);
    assert.equal(!first.outcome.success && first.outcome.error.status, 503);
    assert.deepEqual(first.outcome.output, { status: 'UNAVAILABLE', code: 14, details: 'connection refused', metadata: {} });
    assert.equal(first.breaker.runs[0]?.failure, true);
    assert.equal(first.metrics.count('calls', 'grpc', 'failure'), 1, 'the call is measured by protocol');
    const second = await run(client, SHAPE);
    assert.equal(!second.outcome.success && second.outcome.error.kind, 'validation');
    assert.equal(second.breaker.runs[0]?.failure, false);
  });

  it('collects a many-message answer as an array, and refuses one nested deeper than the limit', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'CountTo', [{ messages: [{ n: 1 }, { n: 2 }] }, { messages: [{ a: { b: { c: { d: { e: { f: { g: { h: {} } } } } } } } }] }], 'many');
    const ok = await run(client, { ...SHAPE, method: 'CountTo' });
    assert.deepEqual(ok.outcome.output, [{ n: 1 }, { n: 2 }]);
    const deep = await run(client, { ...SHAPE, method: 'CountTo' });
    assert.equal(!deep.outcome.success && deep.outcome.error.code, 'RESPONSE_TOO_DEEP');
  });

  it('refuses an API key in the query before calling', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{}]);
    const { outcome } = await run(client, { ...SHAPE, authentication: { apikey: { key: 'k', value: 'v', in: 'query' } } });
    assert.equal(!outcome.success && outcome.error.detail, 'grpc call: an API key in the query is not supported (use `in: header`)');
    assert.equal(client.calls.length, 0);
  });

  it('reports the call in the resolved input, without the authentication', async () => {
    const client = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ messages: [{}] }]);
    const { outcome } = await run(client, { ...SHAPE, authentication: { bearer: { token: 'tok-9' } } });
    assert.deepEqual(outcome.resolvedInput?.['service'], SHAPE.service);
    assert.equal(outcome.resolvedInput?.['call_type'], 'grpc');
    assert.equal(outcome.resolvedInput?.['authentication'], undefined);
  });
});
