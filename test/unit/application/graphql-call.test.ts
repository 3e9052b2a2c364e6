import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeContext, request } from '../try/fake-context';
import { GraphqlJsDocuments } from '../../../src/adapters/graphql/graphql-js-documents';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { graphqlErrorKind, graphqlOutput } from '../../../src/application/handlers/call/graphql/graphql-answer';
import { GraphqlCallProtocol, GraphqlCallSettings } from '../../../src/application/handlers/call/graphql/graphql-call';
import { describeGraphqlCall, parseGraphqlParameters } from '../../../src/application/handlers/call/graphql/graphql-parameters';
import { GraphqlSchemaCache } from '../../../src/application/handlers/call/graphql/schema-cache';
import { CircuitBreaker } from '../../../src/application/ports/circuit-breaker.port';
import { HttpClient, HttpRequest, HttpResponse } from '../../../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { TaskContext } from '../../../src/application/ports/task-handler.port';
import { JsonObject } from '../../../src/domain/json';
import { TaskOutcome } from '../../../src/domain/task-result';
import { WorkflowError } from '../../../src/domain/workflow-error';
import { FakeClock } from '../../support/fake-clock';
import { CallFailure } from '../../../src/application/handlers/call/call-protocol';
import { buildSchema, graphqlSync, getIntrospectionQuery } from 'graphql';

/** A GraphQL request's body as the fake server reads it (always text: queries are JSON). */
function sentText(body: HttpRequest['body']): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  throw new Error('a GraphQL request body is never streamed');
}

function response(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': ['application/json'] }, body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)), url: 'https://api.example.test/graphql' };
}

/** An HttpClient that records requests and answers with `answer`. */
class FakeHttp implements HttpClient {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answer: (request: HttpRequest) => HttpResponse) {}
  send(request: HttpRequest): Promise<HttpResponse> {
    this.sent.push(request);
    return Promise.resolve(this.answer(request));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A breaker that records scopes and lets everything through. */
class OpenDoor implements CircuitBreaker {
  readonly scopes: { tenant: string; host: string }[] = [];
  run<T>(scope: { tenant: string; host: string }, action: () => Promise<T>): Promise<T> {
    this.scopes.push(scope);
    return action();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const schema = buildSchema('type Query { hello(name: String): String } type Mutation { touch: Int }');
const introspection = graphqlSync({ schema, source: getIntrospectionQuery() });

/** A server that answers the introspection query and `{hello}`. */
function server(request: HttpRequest): HttpResponse {
  const body = JSON.parse(sentText(request.body)) as { query: string; variables?: Record<string, string> };
  if (body.query.includes('__schema')) return response(200, introspection);
  return response(200, { data: { hello: `hi ${body.variables?.['name'] ?? 'you'}` } });
}

async function run(parameters: JsonObject, http: FakeHttp, settings: GraphqlCallSettings = { idempotencyKeys: false }, change: (c: TaskContext) => TaskContext = (c) => c) {
  const fake = await fakeContext(request({ task_type: 'call', config: { parameters } }));
  const breaker = new OpenDoor();
  const protocol = new GraphqlCallProtocol(http, breaker, new GraphqlJsDocuments(), fake.clock, settings);
  const handler = new CallTaskHandler(http, breaker, {} as OpenApiDocumentSource, fake.clock, { idempotencyKeys: false }, [protocol]);
  const outcome: TaskOutcome = await handler.execute(change(fake.context));
  return { outcome, breaker, clock: fake.clock, protocol, handler, fake };
}

const endpoint = 'https://api.example.test/graphql';

describe('call: graphql, parameters', () => {
  it('takes endpoint or url (string or {uri}), query, variables, operationName (or operation_name), headers and validate', () => {
    const p = parseGraphqlParameters({ endpoint: { uri: endpoint }, query: '{ a }', variables: { x: 1 }, operation_name: 'A', headers: { 'X-A': 'b', bad: {} }, validate: true });
    assert.deepEqual(p, { endpoint, query: '{ a }', variables: { x: 1 }, operationName: 'A', headers: { 'X-A': 'b' }, validate: true });
    assert.equal(parseGraphqlParameters({ url: endpoint, query: '{ a }' }).validate, false);
  });

  it('refuses what is missing or mistyped, naming it', () => {
    const cases: [JsonObject, string][] = [
      [{ query: '{ a }' }, 'invalid GraphQL call: endpoint is required'],
      [{ endpoint, query: '  ' }, 'invalid GraphQL call: query is required (a GraphQL document, as a string)'],
      [{ endpoint, query: '{ a }', variables: [1] }, 'invalid GraphQL call: variables must be an object'],
      [{ endpoint, query: '{ a }', operationName: 3 }, 'invalid GraphQL call: operationName must be a non-empty string'],
      [{ endpoint, query: '{ a }', validate: 'yes' }, 'invalid GraphQL call: validate must be a boolean'],
    ];
    for (const [parameters, detail] of cases) {
      assert.throws(() => parseGraphqlParameters(parameters), (e: WorkflowError) => e.kind === 'configuration' && e.detail === detail, detail);
    }
  });

  it('describes the call without the endpoint’s credentials', () => {
    assert.deepEqual(describeGraphqlCall({ call_type: 'graphql', endpoint: 'https://u:p@api.example.test/graphql', query: '{ a }', operationName: 'A' }), {
      call_type: 'graphql',
      endpoint: 'https://api.example.test/graphql',
      query: '{ a }',
      operationName: 'A',
    });
  });
});

describe('call: graphql, answers', () => {
  const data = { endpoint };
  it('maps {data, extensions} to the output, and an answer with errors to GRAPHQL_ERRORS with the partial data', () => {
    assert.deepEqual(graphqlOutput(response(200, { data: { a: 1 }, extensions: { cost: 3 } }), data), { data: { a: 1 }, extensions: { cost: 3 } });
    assert.deepEqual(graphqlOutput(response(200, { data: null }), data), { data: null });
    assert.throws(
      () => graphqlOutput(response(200, { data: { a: 1, b: null }, errors: [{ message: 'b broke', path: ['b'] }, { message: 'and more' }] }), data),
      (e: CallFailure) => {
        assert.equal(e.error.code, 'GRAPHQL_ERRORS');
        assert.equal(e.error.kind, 'runtime');
        assert.equal(e.error.retryable, false);
        assert.equal(e.error.detail, 'GraphQL request returned errors: b broke (and 1 more)');
        assert.deepEqual(e.error.data?.['errors'], [{ message: 'b broke', path: ['b'] }, { message: 'and more' }]);
        assert.deepEqual(e.output, { data: { a: 1, b: null }, errors: [{ message: 'b broke', path: ['b'] }, { message: 'and more' }] });
        return true;
      },
    );
  });

  it('takes the kind of the errors from the first error’s extensions.code', () => {
    const kind = (code: string) => graphqlErrorKind([{ message: 'x', extensions: { code } }]);
    assert.equal(kind('UNAUTHENTICATED'), 'authentication');
    assert.equal(kind('FORBIDDEN'), 'authorization');
    assert.equal(kind('BAD_USER_INPUT'), 'validation');
    assert.equal(kind('INTERNAL_SERVER_ERROR'), 'runtime');
    assert.equal(graphqlErrorKind([{ message: 'x' }]), 'runtime');
  });

  it('fails non-2xx answers as HTTP calls do, and 2xx answers that are no GraphQL response with GRAPHQL_BAD_RESPONSE', () => {
    const codeOf = (r: HttpResponse) => {
      try {
        graphqlOutput(r, data);
        return 'none';
      } catch (e) {
        return (e as CallFailure).error.code;
      }
    };
    assert.equal(codeOf(response(503, { errors: [{ message: 'x' }] })), 'HTTP_5XX');
    assert.equal(codeOf(response(401, '')), 'HTTP_4XX');
    assert.equal(codeOf(response(200, '<html>proxy</html>')), 'GRAPHQL_BAD_RESPONSE');
    assert.equal(codeOf(response(200, '')), 'GRAPHQL_BAD_RESPONSE');
    assert.equal(codeOf(response(200, { errors: 'nope' })), 'GRAPHQL_BAD_RESPONSE');
  });
});

describe('call: graphql, the request', () => {
  it('POSTs {query, variables, operationName} as JSON, per tenant and host through the breaker', async () => {
    const http = new FakeHttp(server);
    const { outcome, breaker } = await run({ call_type: 'graphql', endpoint, query: 'query Hi($name: String) { hello(name: $name) }', variables: { name: 'Ada' }, operationName: 'Hi' }, http);
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    assert.deepEqual(outcome.output, { data: { hello: 'hi Ada' } });
    const sent = http.sent[0]!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers['Content-Type'], 'application/json');
    assert.equal(sent.headers['Accept'], 'application/json');
    assert.deepEqual(JSON.parse(sentText(sent.body)), { query: 'query Hi($name: String) { hello(name: $name) }', variables: { name: 'Ada' }, operationName: 'Hi' });
    assert.deepEqual(breaker.scopes, [{ tenant: 'acme', host: 'api.example.test' }]);
  });

  it('lets the transport resend a query but never a mutation, and neither when the workflow retries the call', async () => {
    const query = await run({ call_type: 'graphql', endpoint, query: '{ hello }' }, new FakeHttp(server));
    const mutation = new FakeHttp(() => response(200, { data: { touch: 1 } }));
    await run({ call_type: 'graphql', endpoint, query: 'mutation { touch }' }, mutation);
    const guarded = new FakeHttp(server);
    await run({ call_type: 'graphql', endpoint, query: '{ hello }' }, guarded, undefined, (c) => ({ ...c, workflowRetries: true }));
    assert.equal(query.outcome.success, true);
    const first = (query.protocol as unknown as { http: FakeHttp }).http.sent[0]!;
    assert.deepEqual([first.idempotent, first.transportRetries], [true, true]);
    assert.deepEqual([mutation.sent[0]!.idempotent, mutation.sent[0]!.transportRetries], [false, true]);
    assert.deepEqual([guarded.sent[0]!.idempotent, guarded.sent[0]!.transportRetries], [true, false]);
  });

  it('sends an Idempotency-Key with mutations when CALL_IDEMPOTENCY_KEYS is on, never with queries', async () => {
    const http = new FakeHttp((r) => (sentText(r.body).includes('mutation') ? response(200, { data: { touch: 1 } }) : server(r)));
    await run({ call_type: 'graphql', endpoint, query: 'mutation { touch }' }, http, { idempotencyKeys: true });
    await run({ call_type: 'graphql', endpoint, query: '{ hello }' }, http, { idempotencyKeys: true });
    assert.equal(http.sent[0]!.headers['Idempotency-Key'], '"task-guarded-1"');
    assert.equal(http.sent[1]!.headers['Idempotency-Key'], undefined);
  });

  it('sends credentials written into the endpoint as basic authentication and redacts them', async () => {
    const http = new FakeHttp((r) => response(200, { data: { hello: `seen ${r.headers['Authorization']} at ${r.url}` } }));
    const { outcome } = await run({ call_type: 'graphql', endpoint: 'https://ada:pa55word@api.example.test/graphql?api_key=k3y-long-enough', query: '{ hello }' }, http);
    assert.equal(http.sent[0]!.headers['Authorization'], `Basic ${Buffer.from('ada:pa55word').toString('base64')}`);
    assert.equal(http.sent[0]!.url, 'https://api.example.test/graphql?api_key=k3y-long-enough');
    const text = JSON.stringify(outcome);
    for (const secret of ['pa55word', 'k3y-long-enough', Buffer.from('ada:pa55word').toString('base64')]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  });

  it('refuses headers with CR/LF as HTTP calls do, sending nothing', async () => {
    const http = new FakeHttp(server);
    const { outcome } = await run({ call_type: 'graphql', endpoint, query: '{ hello }', headers: { 'X-A': 'a\r\nB: c' } }, http);
    assert.equal(!outcome.success && outcome.error.code, 'INVALID_HEADER');
    assert.equal(http.sent.length, 0);
  });
});

describe('call: graphql, validation against the introspected schema', () => {
  it('refuses an unknown field (GRAPHQL_INVALID) after the introspection query alone, and validates the next call from the cache', async () => {
    const http = new FakeHttp(server);
    const fake = await fakeContext(request({ task_type: 'call', config: { parameters: { call_type: 'graphql', endpoint, query: '{ hello nope }', validate: true } } }));
    const protocol = new GraphqlCallProtocol(http, new OpenDoor(), new GraphqlJsDocuments(), fake.clock, { idempotencyKeys: false, schemaTtlMs: 60_000 });
    const handler = new CallTaskHandler(http, new OpenDoor(), {} as OpenApiDocumentSource, fake.clock, { idempotencyKeys: false }, [protocol]);
    const refused = await handler.execute(fake.context);
    assert.equal(!refused.success && refused.error.code, 'GRAPHQL_INVALID');
    assert.equal(!refused.success && refused.error.kind, 'validation');
    assert.equal(!refused.success && refused.error.detail, `GraphQL query does not match the schema of ${endpoint}: Cannot query field "nope" on type "Query". (line 1, column 9)`);
    assert.equal(http.sent.length, 1);

    const again = await fakeContext(request({ task_type: 'call', config: { parameters: { call_type: 'graphql', endpoint, query: '{ hello }', validate: true } } }));
    const ok = await handler.execute({ ...again.context, deadline: fake.clock.now() + 60_000 });
    assert.equal(ok.success, true, JSON.stringify(ok));
    assert.equal(http.sent.length, 2, 'the schema was cached');

    await fake.clock.advance(60_001);
    await handler.execute({ ...again.context, deadline: fake.clock.now() + 60_000 });
    assert.equal(http.sent.length, 4, 'an expired schema is fetched again');
  });

  it("builds the schema and validates the query in the queue of the task's tenant", async () => {
    const tenants: string[] = [];
    class Recording extends GraphqlJsDocuments {
      override schema(answer: unknown, tenant: string) {
        tenants.push(`schema ${tenant}`);
        return super.schema(answer, tenant);
      }
      override validate(...args: Parameters<GraphqlJsDocuments['validate']>) {
        tenants.push(`validate ${args[2]}`);
        return super.validate(...args);
      }
    }
    const http = new FakeHttp(server);
    const fake = await fakeContext(request({ task_type: 'call', config: { parameters: { call_type: 'graphql', endpoint, query: '{ hello }', validate: true } } }));
    const protocol = new GraphqlCallProtocol(http, new OpenDoor(), new Recording(), fake.clock, { idempotencyKeys: false });
    const handler = new CallTaskHandler(http, new OpenDoor(), {} as OpenApiDocumentSource, fake.clock, { idempotencyKeys: false }, [protocol]);
    const outcome = await handler.execute(fake.context);
    assert.equal(outcome.success, true, JSON.stringify(outcome));
    const tenant = fake.context.request.tenantId;
    assert.deepEqual(tenants, [`schema ${tenant}`, `validate ${tenant}`]);
  });

  it('keeps a schema per credentials: a call with other credentials (or none) introspects again, one with the same reuses it', async () => {
    const http = new FakeHttp(server);
    const fake = await fakeContext(request({ task_type: 'call', config: { parameters: {} } }));
    const protocol = new GraphqlCallProtocol(http, new OpenDoor(), new GraphqlJsDocuments(), fake.clock, { idempotencyKeys: false, schemaTtlMs: 60_000 });
    const handler = new CallTaskHandler(http, new OpenDoor(), {} as OpenApiDocumentSource, fake.clock, { idempotencyKeys: false }, [protocol]);
    const introspections = (): number => http.sent.filter((r) => typeof r.body === 'string' && r.body.includes('__schema')).length;
    const callWith = async (extra: JsonObject): Promise<void> => {
      const next = await fakeContext(request({ task_type: 'call', config: { parameters: { call_type: 'graphql', endpoint, query: '{ hello }', validate: true, ...extra } } }));
      const outcome = await handler.execute({ ...next.context, deadline: fake.clock.now() + 60_000 });
      assert.equal(outcome.success, true, JSON.stringify(outcome));
    };
    await callWith({ authentication: { bearer: { token: 'admin-token' } } });
    await callWith({ authentication: { bearer: { token: 'admin-token' } } });
    assert.equal(introspections(), 1, 'the same credentials reuse the schema');
    await callWith({ authentication: { bearer: { token: 'guest-token' } } });
    assert.equal(introspections(), 2, 'other credentials introspect again');
    await callWith({});
    assert.equal(introspections(), 3, 'no credentials introspect again');
    await callWith({ headers: { 'X-Api-Key': 'k1' } });
    await callWith({ headers: { 'X-Api-Key': 'k1', 'X-Request-Id': 'r2' } });
    assert.equal(introspections(), 4, 'a sensitive header is a credential; another header is not');
  });

  it('keeps a schema per tenant and endpoint, bounded and for a while', async () => {
    const clock = new FakeClock();
    const cache = new GraphqlSchemaCache(clock, 1000, 2);
    const s = { typeCount: 1 };
    cache.set('a', 'e1', s);
    assert.equal(cache.get('a', 'e1'), s);
    assert.equal(cache.get('b', 'e1'), undefined, 'another tenant does not see it');
    cache.set('a', 'e2', s);
    cache.set('a', 'e3', s);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a', 'e1'), undefined, 'the oldest went first');
    await clock.advance(1000);
    assert.equal(cache.get('a', 'e3'), undefined);
  });
});
