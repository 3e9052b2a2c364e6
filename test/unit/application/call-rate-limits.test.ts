import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { request } from '../try/fake-context';
import { InMemoryRateLimiter } from '../../../src/adapters/memory/in-memory-rate-limiter';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { GrpcCallProtocol } from '../../../src/application/handlers/call/grpc-call';
import { FakeGrpcClient } from '../../support/fake-grpc-client';
import { FakeMessageBrokers } from '../../support/fake-message-brokers';
import { buildSchema, getIntrospectionQuery, graphqlSync } from 'graphql';
import { GraphqlJsDocuments } from '../../../src/adapters/graphql/graphql-js-documents';
import { GraphqlCallProtocol } from '../../../src/application/handlers/call/graphql/graphql-call';
import { GraphqlDocuments, GraphqlSchema } from '../../../src/application/ports/graphql-documents.port';
import { AsyncApiCallProtocol } from '../../../src/application/handlers/call/asyncapi/asyncapi-protocol';
import { AsyncApiDocuments, AsyncApiModel } from '../../../src/application/ports/asyncapi-documents.port';
import { PayloadValidator } from '../../../src/application/ports/message-brokers.port';
import { CallProtocol, ProtocolCall } from '../../../src/application/handlers/call/call-protocol';
import { DEFAULT_CALL_AUDIT } from '../../../src/application/handlers/call/call-audit';
import { DEFAULT_CALL_RATE_LIMITS, parseTaskRateLimit } from '../../../src/application/handlers/call/call-rate-limits';
import { callHostOf, callHostOfAddress, OutboundCalls, STREAMED_BODY } from '../../../src/application/handlers/call/outbound-calls';
import { CircuitBreaker } from '../../../src/application/ports/circuit-breaker.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { TaskContext } from '../../../src/application/ports/task-handler.port';
import { JsonObject } from '../../../src/domain/json';
import { parseHostRateRules } from '../../../src/domain/rate-limit';
import { TaskOutcome } from '../../../src/domain/task-result';

type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** An HTTP peer on the fake clock: records when each request arrived and answers from a script. */
class ScriptedHttp implements HttpClient {
  readonly arrivals: { at: number; request: HttpRequest }[] = [];
  constructor(
    private readonly clock: FakeClock,
    private readonly answer: (n: number, request: HttpRequest) => Answer = () => ({ status: 200 }),
  ) {}
  send(request: HttpRequest): Promise<HttpResponse> {
    this.arrivals.push({ at: this.clock.now(), request });
    const a = this.answer(this.arrivals.length, request);
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = [v];
    return Promise.resolve({ status: a.status, headers, body: new TextEncoder().encode(a.body ?? '{}'), url: request.url });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const passThrough: CircuitBreaker = { run: (_scope, action) => action(), close: () => Promise.resolve() };
const noDocuments = {} as OpenApiDocumentSource;

interface Sut {
  clock: FakeClock;
  http: ScriptedHttp;
  handler: CallTaskHandler;
  metrics: InMemoryMetrics;
  logger: InMemoryLogger;
  limiter: InMemoryRateLimiter;
  /** Starts one call task now; resolves with its outcome (advance the clock to let it finish). */
  start(parameters: JsonObject, options?: { tenant?: string; deadlineMs?: number }): Promise<TaskOutcome>;
}

function makeSut(options: { limits?: string; maxWaitMs?: number; maxPenaltyMs?: number; backoffMs?: number; audit?: boolean; bodies?: boolean; answer?: (n: number, request: HttpRequest) => Answer; protocols?: (clock: FakeClock, http: HttpClient) => CallProtocol[] } = {}): Sut {
  const clock = new FakeClock();
  const http = new ScriptedHttp(clock, options.answer);
  const metrics = new InMemoryMetrics();
  const logger = new InMemoryLogger();
  const limiter = new InMemoryRateLimiter(clock);
  const outbound = new OutboundCalls(
    limiter,
    clock,
    {
      limits: { ...DEFAULT_CALL_RATE_LIMITS, rules: parseHostRateRules(options.limits ?? ''), maxWaitMs: options.maxWaitMs, maxPenaltyMs: options.maxPenaltyMs ?? 60_000, backoffMs: options.backoffMs ?? 1000 },
      audit: { ...DEFAULT_CALL_AUDIT, enabled: options.audit ?? false, bodies: options.bodies ?? false, maxBodyBytes: 256 },
    },
    metrics,
    () => '4bf92f3577b34da6a3ce929d0e0e4736',
  );
  const handler = new CallTaskHandler(http, passThrough, noDocuments, clock, { idempotencyKeys: false }, options.protocols?.(clock, http) ?? [], metrics, outbound);
  let n = 0;
  const start = (parameters: JsonObject, o: { tenant?: string; deadlineMs?: number } = {}): Promise<TaskOutcome> => {
    n++;
    const base = request({ task_type: 'call', task_id: `task-${n}`, config: { parameters } });
    const req = { ...base, tenantId: o.tenant ?? base.tenantId };
    const controller = new AbortController();
    const context: TaskContext = {
      request: req,
      signal: controller.signal,
      deadline: clock.now() + (o.deadlineMs ?? 300_000),
      logger: logger.child({ taskId: req.taskId, workflowId: req.workflowId }),
      scope: {},
      workflowRetries: false,
      operationKey: req.taskId,
      taskTypes: ['call'],
      resolve: (value) => Promise.resolve(value),
      runInner: () => Promise.reject(new Error('no inner tasks here')),
    };
    return handler.execute(context);
  };
  return { clock, http, handler, metrics, logger, limiter, start };
}

async function runAll(sut: Sut, outcomes: Promise<TaskOutcome>[], ms = 120_000): Promise<TaskOutcome[]> {
  await sut.clock.advance(ms);
  return Promise.all(outcomes);
}

function offsets(sut: Sut, from: number): number[] {
  return sut.http.arrivals.map((a) => a.at - from);
}

const GET = (url: string, extra: JsonObject = {}): JsonObject => ({ call_type: 'http', method: 'GET', url, ...extra });

describe('operator rate limits (CALL_RATE_LIMITS)', () => {
  it('spaces the calls to a limited host by the rate, waiting on the clock', async () => {
    const sut = makeSut({ limits: 'api.example.com=2/s' });
    const t0 = sut.clock.now();
    const outcomes = await runAll(sut, [1, 2, 3].map(() => sut.start(GET('https://api.example.com/x'))));
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    assert.deepEqual(offsets(sut, t0), [0, 500, 1000]);
    assert.deepEqual(sut.metrics.rateLimitWaits, [
      { limit: 'api.example.com', waitMs: 500 },
      { limit: 'api.example.com', waitMs: 1000 },
    ]);
  });

  it('leaves other hosts alone', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/m' });
    const t0 = sut.clock.now();
    await runAll(sut, [sut.start(GET('https://other.example.com/')), sut.start(GET('https://other.example.com/'))]);
    assert.deepEqual(offsets(sut, t0), [0, 0]);
  });

  it('fails at once with RATE_LIMITED when the next slot is beyond the deadline, sending nothing', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/10s' });
    const first = sut.start(GET('https://api.example.com/'));
    const second = sut.start(GET('https://api.example.com/'), { deadlineMs: 5000 });
    await sut.clock.settle();
    const refused = await second;
    assert.equal(refused.success, false);
    const error = !refused.success ? refused.error : undefined;
    assert.equal(error?.code, 'RATE_LIMITED');
    assert.equal(error?.kind, 'communication');
    assert.equal(error?.status, 429);
    assert.equal(error?.retryable, true, 'a try may retry it later');
    assert.match(error?.detail ?? '', /the limit api\.example\.com=1\/10s has no free slot for 10000 ms, longer than the time left before the task's deadline/);
    assert.deepEqual(error?.data, { limit: 'api.example.com', host: 'api.example.com:443', retry_after_ms: 10000 });
    assert.equal(sut.metrics.count('rate_limit_refusals', 'api.example.com'), 1);
    assert.deepEqual(sut.clock.pendingTimers(), [], 'nobody sleeps for a slot it cannot use');
    await runAll(sut, [first]);
    assert.equal(sut.http.arrivals.length, 1);
  });

  it('gives the request only what is left of the deadline after its wait', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/s' });
    await runAll(sut, [sut.start(GET('https://api.example.com/'), { deadlineMs: 5000 }), sut.start(GET('https://api.example.com/'), { deadlineMs: 5000 })]);
    assert.deepEqual(
      sut.http.arrivals.map((a) => a.request.timeoutMs),
      [5000, 4000],
    );
  });

  it('bounds the wait by CALL_RATE_LIMIT_MAX_WAIT as well', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/s', maxWaitMs: 500 });
    const outcomes = await runAll(sut, [sut.start(GET('https://api.example.com/')), sut.start(GET('https://api.example.com/'))]);
    assert.equal(outcomes[1]?.success, false);
    assert.match(!outcomes[1]?.success ? (outcomes[1]?.error.detail ?? '') : '', /longer than CALL_RATE_LIMIT_MAX_WAIT \(500 ms\)/);
  });

  it('shares a wildcard rule among its hosts, or keeps one bucket per host with per-host', async () => {
    const shared = makeSut({ limits: '*.example.com=1/s' });
    const t0 = shared.clock.now();
    await runAll(shared, [shared.start(GET('https://a.example.com/')), shared.start(GET('https://b.example.com/'))]);
    assert.deepEqual(offsets(shared, t0), [0, 1000]);
    const perHost = makeSut({ limits: '*.example.com=1/s:per-host' });
    const t1 = perHost.clock.now();
    await runAll(perHost, [perHost.start(GET('https://a.example.com/')), perHost.start(GET('https://b.example.com/')), perHost.start(GET('https://a.example.com/'))]);
    assert.deepEqual(offsets(perHost, t1), [0, 0, 1000]);
  });

  it('stops waiting when the task is cancelled', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/s' });
    const first = sut.start(GET('https://api.example.com/'));
    const second = sut.start(GET('https://api.example.com/'), { deadlineMs: 300 });
    // The deadline of the task (ExecuteTask aborts its signal) is not the handler's to enforce; a refused slot is.
    const outcomes = await runAll(sut, [first, second]);
    assert.equal(outcomes[1]?.success, false);
    assert.equal(sut.http.arrivals.length, 1);
  });
});

describe('a rate-limit backend that cannot be reached', () => {
  it('stops the task with an exception (processing retries), sending nothing', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/s' });
    sut.limiter.reserve = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    await assert.rejects(sut.start(GET('https://api.example.com/')), /ECONNREFUSED/);
    assert.equal(sut.http.arrivals.length, 0);
  });

  it('is not asked at all when nothing is limited or audited', async () => {
    const sut = makeSut();
    sut.limiter.reserve = () => Promise.reject(new Error('must not be called'));
    const [outcome] = await runAll(sut, [sut.start(GET('https://api.example.com/'))]);
    assert.equal(outcome?.success, true);
  });
});

describe('downstream push-back', () => {
  it('a 429 with Retry-After (seconds) holds back every later call to the host until then', async () => {
    const sut = makeSut({ limits: 'api.example.com=100/s', answer: (n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '5' } } : { status: 200 }) });
    const t0 = sut.clock.now();
    const first = await runAll(sut, [sut.start(GET('https://api.example.com/'))], 0);
    assert.equal(first[0]?.success, false);
    const later = await runAll(sut, [sut.start(GET('https://api.example.com/')), sut.start(GET('https://api.example.com/'))]);
    assert.ok(later.every((o) => o.success));
    assert.deepEqual(offsets(sut, t0), [0, 5000, 5010]);
    assert.equal(sut.metrics.count('rate_limit_pushbacks', 'api.example.com', 'retry_after'), 1);
  });

  it('reads an HTTP date, and caps the pause at CALL_RATE_LIMIT_MAX_PENALTY', async () => {
    const clock = new FakeClock();
    const date = new Date(clock.now() + 3_600_000).toUTCString();
    const sut = makeSut({ limits: 'api.example.com=100/s', maxPenaltyMs: 30_000, answer: (n) => (n === 1 ? { status: 503, headers: { 'Retry-After': date } } : { status: 200 }) });
    const t0 = sut.clock.now();
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 0);
    await runAll(sut, [sut.start(GET('https://api.example.com/'))]);
    assert.deepEqual(offsets(sut, t0), [0, 30_000]);
  });

  it('a 429 without Retry-After slows the host by CALL_RATE_LIMIT_BACKOFF; a 503 without it does not', async () => {
    const sut = makeSut({ limits: 'api.example.com=100/s', backoffMs: 2000, answer: (n) => (n === 1 ? { status: 429 } : n === 2 ? { status: 503 } : { status: 200 }) });
    const t0 = sut.clock.now();
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 0);
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 2000);
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 1000);
    assert.deepEqual(offsets(sut, t0), [0, 2000, 2010]);
    assert.equal(sut.metrics.count('rate_limit_pushbacks', 'api.example.com', 'backoff'), 1);
  });

  it('a host without any limit is not slowed (nothing to push back)', async () => {
    const sut = makeSut({ answer: (n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '5' } } : { status: 200 }) });
    const t0 = sut.clock.now();
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 0);
    await runAll(sut, [sut.start(GET('https://api.example.com/'))], 0);
    assert.deepEqual(offsets(sut, t0), [0, 0]);
  });
});

describe("a task's own rate_limit", () => {
  it('makes the calls slower than the operator limit', async () => {
    const sut = makeSut({ limits: 'api.example.com=10/s' });
    const t0 = sut.clock.now();
    const limited = GET('https://api.example.com/', { rate_limit: { rate: '1/s' } });
    await runAll(sut, [sut.start(limited), sut.start(limited)]);
    assert.deepEqual(offsets(sut, t0), [0, 1000]);
    assert.equal(sut.metrics.count('rate_limit_waits', 'task'), 1);
  });

  it('cannot make them faster than the operator limit', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/s' });
    const t0 = sut.clock.now();
    const eager = GET('https://api.example.com/', { rate_limit: { rate: '1000/s', burst: 100 } });
    await runAll(sut, [sut.start(eager), sut.start(eager)]);
    assert.deepEqual(offsets(sut, t0), [0, 1000]);
  });

  it("lives in its tenant's key space: the same key in another tenant is another bucket", async () => {
    const sut = makeSut();
    const t0 = sut.clock.now();
    const named = GET('https://api.example.com/', { rate_limit: { rate: '1/m', key: 'crm' } });
    await runAll(sut, [sut.start(named, { tenant: 'acme' }), sut.start(named, { tenant: 'beta' }), sut.start(named, { tenant: 'acme' })]);
    assert.deepEqual(offsets(sut, t0), [0, 0, 60_000]);
  });

  it('with per: operation, each method and path (or OpenAPI operation) has its own bucket', async () => {
    const sut = makeSut();
    const t0 = sut.clock.now();
    const op = (path: string): JsonObject => GET(`https://api.example.com${path}?q=1`, { rate_limit: { rate: '1/s', per: 'operation' } });
    await runAll(sut, [sut.start(op('/a')), sut.start(op('/b')), sut.start(op('/a'))]);
    assert.deepEqual(offsets(sut, t0), [0, 0, 1000]);
  });

  it('with per: operation, the same method and path at two hosts are two operations', async () => {
    const sut = makeSut();
    const t0 = sut.clock.now();
    const health = (host: string): JsonObject => GET(`https://${host}/health`, { rate_limit: { rate: '1/s', per: 'operation' } });
    await runAll(sut, [sut.start(health('orders.example.com')), sut.start(health('billing.example.com')), sut.start(health('orders.example.com:8443'))]);
    assert.deepEqual(offsets(sut, t0), [0, 0, 0]);
  });

  it('gives the task\'s slot back when the operator\'s limit refuses the call, and refuses without waiting first', async () => {
    const sut = makeSut({ limits: 'api.example.com=1/m', maxWaitMs: 5000 });
    const t0 = sut.clock.now();
    const shared = { rate_limit: { rate: '1/s', key: 'crm' } };
    const first = sut.start(GET('https://api.example.com/a', shared));
    await sut.clock.advance(0);
    // The task's bucket has its next slot in 1 s, the operator's in 60 s (more than CALL_RATE_LIMIT_MAX_WAIT).
    const refused = sut.start(GET('https://api.example.com/b', shared));
    let refusedAt: number | undefined;
    void refused.then(() => (refusedAt = sut.clock.now()));
    await sut.clock.advance(0);
    const elsewhere = sut.start(GET('https://other.example.com/c', shared));
    const outcomes = await runAll(sut, [first, refused, elsewhere], 10_000);
    assert.equal(outcomes[1]?.success, false);
    assert.equal(!outcomes[1]?.success && outcomes[1]?.error.code, 'RATE_LIMITED');
    assert.equal(refusedAt, t0, 'refused at once, not after waiting for the task\'s slot');
    assert.deepEqual(sut.http.arrivals.map((a) => [new URL(a.request.url).host, a.at - t0]), [
      ['api.example.com', 0],
      ['other.example.com', 1000],
    ], 'the refused call\'s slot went back: the next call of the key waits one interval, not two');
  });

  it("respects the task's max_wait_ms", async () => {
    const sut = makeSut();
    const limited = GET('https://api.example.com/', { rate_limit: { rate: '1/s', max_wait_ms: 200 } });
    const outcomes = await runAll(sut, [sut.start(limited), sut.start(limited)]);
    assert.equal(outcomes[1]?.success, false);
    assert.match(!outcomes[1]?.success ? (outcomes[1]?.error.detail ?? '') : '', /the task's rate_limit 1\/s has no free slot for 1000 ms, longer than the task's max_wait_ms \(200 ms\)/);
  });

  it('refuses a bad rate_limit as a configuration error before anything is sent', async () => {
    const sut = makeSut();
    const outcome = await sut.start(GET('https://api.example.com/', { rate_limit: { rate: 'fast' } }));
    assert.equal(!outcome.success && outcome.error.kind, 'configuration');
    assert.match(!outcome.success ? outcome.error.detail : '', /invalid rate_limit: "fast" is not a rate/);
    assert.equal(sut.http.arrivals.length, 0);
    assert.throws(() => parseTaskRateLimit({ rate: '1/s', speed: 2 }), /unknown field "speed"/);
    assert.throws(() => parseTaskRateLimit({ rate: '1/s', per: 'tenant' }), /per must be "host" or "operation"/);
    assert.throws(() => parseTaskRateLimit({ rate: '1/s', key: 'k', per: 'host' }), /either key or per/);
    assert.throws(() => parseTaskRateLimit({ rate: '1/s', max_wait_ms: -1 }), /max_wait_ms must be an integer/);
    assert.throws(() => parseTaskRateLimit('5/s'), /expected an object/);
  });
});

/** A protocol that sends one message through `call.send` (as gRPC, GraphQL and AsyncAPI do). */
class OneShotProtocol implements CallProtocol {
  readonly callType = 'oneshot';
  readonly sent: number[] = [];
  constructor(private readonly clock: FakeClock) {}
  describe(): JsonObject {
    return { call_type: 'oneshot' };
  }
  async call(call: ProtocolCall): Promise<unknown> {
    const target = String(call.parameters['target']);
    return call.send({ protocol: 'grpc', method: 'call', url: `grpc://${target}/svc/m`, host: callHostOfAddress(target, 443), operation: 'svc/m' }, () => {
      this.sent.push(this.clock.now());
      return Promise.resolve({ ok: true });
    });
  }
}

describe('the host a call is limited by', () => {
  it('is the name in lower case and the port, the scheme default for HTTP', () => {
    assert.deepEqual(callHostOf('https://API.Example.com/x?y=1'), { name: 'api.example.com', port: 443 });
    assert.deepEqual(callHostOf('http://api.example.com:8080/'), { name: 'api.example.com', port: 8080 });
    assert.deepEqual(callHostOf('http://[::1]/'), { name: '[::1]', port: 80 });
    assert.deepEqual(callHostOf('amqp://broker.example.com/orders'), { name: 'broker.example.com', port: 0 });
    assert.deepEqual(callHostOf('not a url'), { name: 'invalid', port: 0 });
    assert.deepEqual(callHostOfAddress('[2001:DB8::1]:50051', 443), { name: '[2001:db8::1]', port: 50051 });
    assert.deepEqual(callHostOfAddress('Grpc.Example.com:50051', 443), { name: 'grpc.example.com', port: 50051 });
    assert.deepEqual(callHostOfAddress('broker.example.com', 0), { name: 'broker.example.com', port: 0 });
  });
});

describe('other protocols', () => {
  it('go through the same limits by host and port', async () => {
    let protocol: OneShotProtocol | undefined;
    const sut = makeSut({ limits: 'grpc.example.com:50051=1/s', protocols: (clock) => [(protocol = new OneShotProtocol(clock))] });
    const t0 = sut.clock.now();
    const call = { call_type: 'oneshot', target: 'grpc.example.com:50051' };
    await runAll(sut, [sut.start(call), sut.start(call)]);
    assert.deepEqual(protocol?.sent.map((t) => t - t0), [0, 1000]);
  });
});

describe('gRPC calls', () => {
  it('are limited by host and port, and RESOURCE_EXHAUSTED slows the host by the back-off', async () => {
    const grpc = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ code: 8, details: 'quota' }, { code: 0, messages: [{ message: 'hi' }] }]);
    const sut = makeSut({ limits: 'greeter.example.test:50051=100/s', backoffMs: 3000, audit: true, protocols: (clock) => [new GrpcCallProtocol(grpc, passThrough, clock)] });
    const call = { call: 'grpc', with: { proto: { endpoint: 'https://protos.example.test/greeter.proto' }, service: { name: 'flunq.test.Greeter', host: 'greeter.example.test', port: 50051 }, method: 'SayHello', arguments: {} } };
    const [first] = await runAll(sut, [sut.start(call)], 0);
    assert.equal(!first?.success && first?.error.code, 'GRPC_STATUS');
    const [second] = await runAll(sut, [sut.start(call)], 5000);
    assert.equal(second?.success, true, JSON.stringify(second));
    assert.equal(grpc.calls.length, 2);
    assert.equal(sut.metrics.count('rate_limit_pushbacks', 'greeter.example.test:50051', 'backoff'), 1);
    assert.deepEqual(sut.metrics.rateLimitWaits, [{ limit: 'greeter.example.test:50051', waitMs: 3000 }]);
    const lines = sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => [r.fields['protocol'], r.fields['url'], r.fields['status']]);
    assert.deepEqual(lines, [
      ['grpc', 'grpc://greeter.example.test:50051/flunq.test.Greeter/SayHello', 'RESOURCE_EXHAUSTED'],
      ['grpc', 'grpc://greeter.example.test:50051/flunq.test.Greeter/SayHello', 'OK'],
    ]);
  });
});

/** One AMQP server (`host`, as the document gives it) with a send operation and a request-reply one. */
function asyncApiModel(host: string): AsyncApiModel {
  const orders = { name: 'orders', address: 'orders.created', messages: [], servers: [] };
  return {
    version: '3.0.0',
    servers: [{ name: 'rabbit', protocol: 'amqp', host, variables: {} }],
    channels: [orders],
    operations: [
      { id: 'notify', action: 'send', channel: orders, messages: [] },
      { id: 'placeOrder', action: 'send', channel: orders, messages: [], reply: { address: null } },
    ],
  };
}

const anyPayload: PayloadValidator = { validate: () => [] };

function asyncApiSut(host: string, options: Parameters<typeof makeSut>[0] = {}): Sut & { brokers: FakeMessageBrokers } {
  const brokers = new FakeMessageBrokers();
  brokers.answer('orders.created', () => ({ payload: { ok: true }, headers: {} }));
  const documents: AsyncApiDocuments = { load: () => Promise.resolve(asyncApiModel(host)) };
  const sut = makeSut({ ...options, protocols: (clock) => [new AsyncApiCallProtocol(documents, brokers, anyPayload, passThrough, clock)] });
  return { ...sut, brokers };
}

const asyncApiCall = (operation: string, payload: JsonObject = { id: 'o-1' }): JsonObject => ({ call: 'asyncapi', with: { document: { endpoint: 'https://docs.example.test/orders.yaml' }, operation, message: { payload } } });

describe('AsyncAPI calls', () => {
  it('after a rate-limit wait, the exchange gets only what is left of the deadline', async () => {
    const sut = asyncApiSut('rabbit.example.test:5672', { limits: 'rabbit.example.test:5672=1/s' });
    const outcomes = await runAll(sut, [sut.start(asyncApiCall('notify'), { deadlineMs: 10_000 }), sut.start(asyncApiCall('placeOrder'), { deadlineMs: 10_000 })]);
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    assert.deepEqual(sut.metrics.rateLimitWaits, [{ limit: 'rabbit.example.test:5672', waitMs: 1000 }]);
    assert.deepEqual(sut.brokers.deliveries.map((d) => d.timeoutMs), [10_000, 9000]);
    assert.ok(sut.brokers.deliveries.every((d) => d.tenant === 'acme'), 'the tenant travels with each exchange, for its share of the connections');
  });

  it('publish and request-reply are limited by the broker host; a server without a port is at its protocol’s default port', async () => {
    for (const limits of ['rabbit.example.test:5672=1/s', 'rabbit.example.test=1/s']) {
      const sut = asyncApiSut('rabbit.example.test', { limits, audit: true });
      const t0 = sut.clock.now();
      const arrivals: number[] = [];
      const outcomes = [sut.start(asyncApiCall('notify')), sut.start(asyncApiCall('placeOrder')), sut.start(asyncApiCall('notify'))];
      for (const outcome of outcomes) void outcome.then(() => arrivals.push(sut.clock.now() - t0));
      const done = await runAll(sut, outcomes);
      assert.ok(done.every((o) => o.success), JSON.stringify(done));
      assert.equal(sut.brokers.deliveries.length, 3);
      assert.deepEqual(sut.metrics.rateLimitWaits, [{ limit: limits.split('=')[0], waitMs: 1000 }, { limit: limits.split('=')[0], waitMs: 2000 }], limits);
    }
  });

  it('write one audit line per publish and per request with the broker URL, the payload with CALL_AUDIT_BODIES', async () => {
    const sut = asyncApiSut('rabbit.example.test', { audit: true, bodies: true });
    await runAll(sut, [sut.start(asyncApiCall('notify', { id: 'o-7' }))]);
    await runAll(sut, [sut.start(asyncApiCall('placeOrder', { id: 'o-8' }))]);
    const lines = sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => [r.fields['protocol'], r.fields['method'], r.fields['url'], r.fields['requestBody']]);
    assert.deepEqual(lines, [
      ['asyncapi', 'publish', 'amqp://rabbit.example.test/orders.created', '{"id":"o-7"}'],
      ['asyncapi', 'request', 'amqp://rabbit.example.test/orders.created', '{"id":"o-8"}'],
    ]);
  });
});

const GRAPHQL_SCHEMA = buildSchema('type Query { user(id: ID!): String }');
const parser = new GraphqlJsDocuments();
/** graphql-js parsing, with schemas and validation answered at once (no worker thread: the fake clock alone moves these tests). */
const onTheLoop: GraphqlDocuments = {
  introspectionQuery: parser.introspectionQuery,
  operation: (query, name) => parser.operation(query, name),
  schema: () => Promise.resolve({} as GraphqlSchema),
  validate: () => Promise.resolve([]),
};
const INTROSPECTION = JSON.stringify(graphqlSync({ schema: GRAPHQL_SCHEMA, source: getIntrospectionQuery() }));

/** A GraphQL server on the fake clock: the introspection answer, else `{data}` (429 with Retry-After for the first operation when `throttleFirst`). */
function graphqlSut(options: Parameters<typeof makeSut>[0] & { throttleFirst?: boolean } = {}): Sut {
  let operations = 0;
  return makeSut({
    ...options,
    answer: (_n, request) => {
      if (typeof request.body === 'string' && request.body.includes('__schema')) return { status: 200, body: INTROSPECTION };
      operations++;
      if (options.throttleFirst === true && operations === 1) return { status: 429, headers: { 'Retry-After': '4' }, body: '{"errors":[{"message":"slow down"}]}' };
      return { status: 200, body: '{"data":{"user":"Ada"}}' };
    },
    protocols: (clock, http) => [new GraphqlCallProtocol(http, passThrough, onTheLoop, clock)],
  });
}

const graphqlCall = (extra: JsonObject = {}): JsonObject => ({ call: 'graphql', with: { endpoint: 'https://gql.example.test/graphql', query: 'query One { user(id: "1") }', ...extra } });

describe('GraphQL calls', () => {
  it('are limited by host like HTTP calls, and a 429 slows the host by its Retry-After', async () => {
    const sut = graphqlSut({ limits: 'gql.example.test=2/s', throttleFirst: true });
    const t0 = sut.clock.now();
    const [first] = await runAll(sut, [sut.start(graphqlCall())], 0);
    assert.equal(first?.success, false);
    const outcomes = await runAll(sut, [sut.start(graphqlCall()), sut.start(graphqlCall())]);
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    assert.deepEqual(offsets(sut, t0), [0, 4000, 4500]);
    assert.equal(sut.metrics.count('rate_limit_pushbacks', 'gql.example.test', 'retry_after'), 1);
  });

  it('count the introspection request of validate: true against the host’s rate, and audit it', async () => {
    const sut = graphqlSut({ limits: 'gql.example.test=1/s', audit: true });
    const t0 = sut.clock.now();
    const outcomes = await runAll(sut, [sut.start(graphqlCall({ validate: true })), sut.start(graphqlCall({ validate: true }))]);
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    // Both tasks introspect (the schema is not cached yet) and run their query: four requests, one a second.
    assert.deepEqual(offsets(sut, t0), [0, 1000, 2000, 3000]);
    assert.equal(sut.http.arrivals.filter((a) => typeof a.request.body === 'string' && a.request.body.includes('__schema')).length, 2);
    const lines = sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => [r.fields['protocol'], r.fields['method'], r.fields['url'], r.fields['status']]);
    assert.equal(lines.length, 4);
    assert.ok(lines.every((l) => l[0] === 'graphql' && l[1] === 'POST' && l[2] === 'https://gql.example.test/graphql' && l[3] === 200), JSON.stringify(lines));
  });

  it('audit the query (CALL_AUDIT_BODIES) with the bearer token redacted', async () => {
    const sut = graphqlSut({ audit: true, bodies: true });
    await runAll(sut, [sut.start(graphqlCall({ authentication: { bearer: { token: 'gql-secret-777' } }, variables: { token: 'gql-secret-777' } }))]);
    const [line] = sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => r.fields);
    assert.match(String(line?.['requestBody']), /query One/);
    assert.doesNotMatch(JSON.stringify(sut.logger.records), /gql-secret-777/);
  });
});

describe('gRPC audit lines', () => {
  it('carry the arguments as the request body (CALL_AUDIT_BODIES), secrets of the metadata and the authentication redacted', async () => {
    const grpc = new FakeGrpcClient().answer('flunq.test.Greeter', 'SayHello', [{ code: 0, messages: [{ message: 'hi' }] }]);
    const sut = makeSut({ audit: true, bodies: true, protocols: (clock) => [new GrpcCallProtocol(grpc, passThrough, clock)] });
    const call = {
      call: 'grpc',
      with: {
        proto: { endpoint: 'https://protos.example.test/greeter.proto' },
        service: { name: 'flunq.test.Greeter', host: 'greeter.example.test', port: 50051 },
        method: 'SayHello',
        arguments: { person: { name: 'Ada', note: 'meta-key-31337 and grpc-bearer-777' } },
        metadata: { 'x-api-key': 'meta-key-31337' },
        authentication: { bearer: { token: 'grpc-bearer-777' } },
      },
    };
    const [done] = await runAll(sut, [sut.start(call)]);
    assert.equal(done?.success, true, JSON.stringify(done));
    const [line] = sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => r.fields);
    assert.match(String(line?.['requestBody']), /^\{"person":\{"name":"Ada","note":"/);
    assert.doesNotMatch(JSON.stringify(sut.logger.records), /meta-key-31337|grpc-bearer-777/);
  });
});

describe('the audit log (CALL_AUDIT_LOG)', () => {
  const SECRETS = ['s3cret-bearer-token', 'query-key-9876', 'basic-pass-4321', 'body-secret-5555'];

  function auditLines(sut: Sut): JsonObject[] {
    return sut.logger.records.filter((r) => r.message === 'outbound call').map((r) => r.fields);
  }

  it('is off by default', async () => {
    const sut = makeSut();
    await runAll(sut, [sut.start(GET('https://api.example.com/'))]);
    assert.deepEqual(auditLines(sut), []);
  });

  it('writes one line per call with method, URL, status, duration and the task, workflow and trace ids', async () => {
    const sut = makeSut({ audit: true, limits: 'api.example.com=1/s' });
    await runAll(sut, [sut.start(GET('https://api.example.com/orders?page=2')), sut.start(GET('https://api.example.com/orders?page=3'))]);
    const lines = auditLines(sut);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1], {
      taskId: 'task-2',
      workflowId: 'wf_1',
      audit: 'outbound_call',
      protocol: 'http',
      method: 'GET',
      url: 'https://api.example.com/orders?page=3',
      status: 200,
      durationMs: 0,
      rateLimitWaitMs: 1000,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('records the error code of a call that got no answer, RATE_LIMITED included', async () => {
    const sut = makeSut({ audit: true, limits: 'api.example.com=1/m' });
    await runAll(sut, [sut.start(GET('https://api.example.com/')), sut.start(GET('https://api.example.com/'), { deadlineMs: 1000 })]);
    assert.deepEqual(
      auditLines(sut)
        .map((l) => [l['taskId'], l['status'], l['error']])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['task-1', 200, undefined],
        ['task-2', undefined, 'RATE_LIMITED'],
      ],
    );
  });

  it('never shows a secret: header values, query API keys, basic credentials, bodies (even with CALL_AUDIT_BODIES)', async () => {
    const sut = makeSut({ audit: true, bodies: true, answer: (_n, req) => ({ status: 200, body: JSON.stringify({ echoed: req.headers['Authorization'] ?? null, password: 'plain-pw-777', note: 'hello' }) }) });
    const calls = [
      { call_type: 'http', method: 'POST', url: 'https://api.example.com/a', authentication: { type: 'bearer', config: { token: SECRETS[0] } }, body: { token: SECRETS[0], text: 'hello' } },
      { call_type: 'http', method: 'GET', url: 'https://api.example.com/b', authentication: { type: 'apikey', config: { key: 'api_key', value: SECRETS[1], in: 'query' } } },
      { call_type: 'http', method: 'GET', url: `https://user:${SECRETS[2]}@api.example.com/c` },
      { call_type: 'http', method: 'POST', url: 'https://api.example.com/d', headers: { 'X-Api-Key': SECRETS[3] }, body: `raw ${SECRETS[3]} text` },
    ];
    const outcomes = await runAll(sut, calls.map((c) => sut.start(c)));
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    const lines = auditLines(sut);
    assert.equal(lines.length, 4);
    const text = JSON.stringify(sut.logger.records);
    for (const secret of [...SECRETS, 'plain-pw-777', Buffer.from(`user:${SECRETS[2]}`).toString('base64')]) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.match(String(lines.find((l) => String(l['url']).includes('/b'))?.['url']), /api_key=\*\*\*/);
    assert.match(String(lines[0]?.['responseBody']), /"note":"hello"/, 'the rest of the body is kept');
    assert.equal(JSON.stringify(lines).includes('Authorization'), false, 'no headers at all');
  });

  it('never reads a streamed upload a second time: the line says the body streamed', async () => {
    const sut = makeSut({ audit: true, bodies: true, answer: (_n, req) => (req.url.endsWith('/file.bin') ? { status: 200, body: 'file-bytes-1234' } : { status: 201, body: '{}' }) });
    const upload = { call_type: 'http', method: 'POST', url: 'https://api.example.com/upload', headers: { 'Content-Type': 'multipart/form-data' }, body: { fields: { note: 'n' }, files: [{ name: 'f', url: 'https://files.example.com/file.bin' }] } };
    const [outcome] = await runAll(sut, [sut.start(upload)]);
    assert.ok(outcome?.success, JSON.stringify(outcome));
    const line = auditLines(sut).find((l) => String(l['url']).endsWith('/upload'));
    assert.equal(line?.['requestBody'], STREAMED_BODY);
  });

  it('sends the files fetched for an upload through the rate limits and writes their audit lines', async () => {
    const sut = makeSut({ audit: true, limits: 'api.example.com=1/m', answer: (_n, req) => (req.method === 'GET' ? { status: 200, body: 'file-bytes' } : { status: 201, body: '{}' }) });
    const files = [1, 2, 3].map((i) => ({ name: `f${i}`, url: `https://api.example.com/files/${i}.bin?sig=abc` }));
    const upload = { call_type: 'http', method: 'POST', url: 'https://api.example.com/upload', headers: { 'Content-Type': 'multipart/form-data' }, body: { fields: { note: 'n' }, files } };
    const t0 = sut.clock.now();
    const [outcome] = await runAll(sut, [sut.start(upload)], 240_000);
    assert.ok(outcome?.success, JSON.stringify(outcome));
    assert.deepEqual(offsets(sut, t0), [0, 60_000, 120_000, 180_000], 'one slot a minute, files included');
    assert.deepEqual(
      auditLines(sut).map((l) => [l['method'], l['url'], l['status']]),
      [
        ['GET', 'https://api.example.com/files/1.bin?sig=***', 200],
        ['GET', 'https://api.example.com/files/2.bin?sig=***', 200],
        ['GET', 'https://api.example.com/files/3.bin?sig=***', 200],
        ['POST', 'https://api.example.com/upload', 201],
      ],
    );
  });

  it('writes a line for an OAuth2 token request, its secrets blanked out, and does not rate-limit it', async () => {
    const sut = makeSut({ audit: true, bodies: true, limits: 'auth.example.com=1/m', answer: (_n, req) => (req.url.endsWith('/token') ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"access_token":"tok-abcdef-123456","expires_in":3600}' } : { status: 200, body: '{}' }) });
    const oauth = (secret: string): JsonObject => GET('https://api.example.com/things', { authentication: { oauth2: { token_url: 'https://auth.example.com/oauth/token', client: { id: 'app', secret } } } });
    const t0 = sut.clock.now();
    const outcomes = await runAll(sut, [sut.start(oauth('client-secret-one-1')), sut.start(oauth('client-secret-two-2'))], 1000);
    assert.ok(outcomes.every((o) => o.success), JSON.stringify(outcomes));
    assert.deepEqual(sut.http.arrivals.filter((a) => a.request.url.endsWith('/token')).map((a) => a.at - t0), [0, 0], 'token requests are not limited');
    const lines = auditLines(sut).map((l) => [l['method'], l['url'], l['status']]);
    assert.deepEqual(lines.filter((l) => String(l[1]).endsWith('/token')), [
      ['POST', 'https://auth.example.com/oauth/token', 200],
      ['POST', 'https://auth.example.com/oauth/token', 200],
    ]);
    const text = JSON.stringify(auditLines(sut));
    for (const secret of ['client-secret-one-1', 'client-secret-two-2', 'tok-abcdef-123456']) assert.ok(!text.includes(secret), `${secret} is in the audit log`);
  });

  it('cuts long bodies and gives their size', async () => {
    const sut = makeSut({ audit: true, bodies: true, answer: () => ({ status: 200, body: 'x'.repeat(1000) }) });
    await runAll(sut, [sut.start({ call_type: 'http', method: 'GET', url: 'https://api.example.com/', output: 'response' })]);
    assert.equal(auditLines(sut)[0]?.['responseBody'], `${'x'.repeat(256)}… (1000 bytes)`);
  });

  it('does not cut a secret in half at the limit', async () => {
    const secret = 'long-secret-value-abcdefghijklmnopqrstuvwxyz';
    const body = `${'y'.repeat(240)}${secret}`;
    const sut = makeSut({ audit: true, bodies: true, answer: () => ({ status: 200, body }) });
    await runAll(sut, [sut.start({ call_type: 'http', method: 'GET', url: 'https://api.example.com/', headers: { 'X-Token': secret }, output: 'response' })]);
    const shown = String(auditLines(sut)[0]?.['responseBody']);
    assert.ok(!shown.includes(secret.slice(0, 16)), shown);
  });
});
