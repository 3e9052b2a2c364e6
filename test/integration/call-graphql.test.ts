/**
 * `call: graphql` against a real GraphQL server (graphql-js's executor behind node:http on
 * 127.0.0.1), through the whole executor: queries with variables, operation selection, errors with
 * partial data, mutations that are never resent, authentication redacted, validation against the
 * introspected schema, and HTTP failures.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildSchema, graphql } from 'graphql';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor, json, LocalServer, Seen } from './support/call-harness';

const schema = buildSchema(`
  type User { id: ID!, name: String!, email: String }
  type Query { user(id: ID!): User, users: [User!]!, boom: String, whoami: String }
  type Mutation { rename(id: ID!, name: String!): User }
`);

const users = new Map([
  ['1', { id: '1', name: 'Ada', email: 'ada@example.test' }],
  ['2', { id: '2', name: 'Grace', email: null }],
]);

/** How the server answers the next requests: normally, with a status, or by closing the connection. */
const plan = { status: 0, resets: 0 };

const rootValue = {
  user: ({ id }: { id: string }) => users.get(id) ?? null,
  users: () => [...users.values()],
  boom: () => {
    throw new Error('boom failed');
  },
  whoami: (_args: unknown, context: { authorization: string | undefined }) => `you sent ${context.authorization ?? 'nothing'}`,
  rename: ({ id, name }: { id: string; name: string }) => {
    const user = users.get(id);
    if (!user) return null;
    user.name = name;
    return user;
  },
};

const server = new LocalServer((req: Seen, res) => {
  if (plan.resets > 0) {
    plan.resets--;
    res.socket?.destroy();
    return;
  }
  if (plan.status !== 0) return json(res, plan.status, { message: 'unavailable' });
  if (req.url.includes('introspection=off') && req.body.includes('__schema')) return json(res, 200, { errors: [{ message: 'GraphQL introspection is not allowed', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
  const body = JSON.parse(req.body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
  // With `apollo=on`, a refused query (no data: parse or validation errors) is answered 400, as Apollo Server does.
  void graphql({ schema, source: body.query, rootValue, variableValues: body.variables ?? null, operationName: body.operationName ?? null, contextValue: { authorization: req.headers.authorization } }).then((result) => json(res, req.url.includes('apollo=on') && !('data' in result) ? 400 : 200, result));
});

function code(c: CompletedPayload): unknown {
  return (c.error_details?.['data'] as Record<string, unknown> | undefined)?.['code'];
}

/** Requests that ran an operation (not the introspection query). */
function operations(): Seen[] {
  return server.seen.filter((s) => !s.body.includes('__schema'));
}

const executor = new Executor();
let endpoint = '';

before(async () => {
  await server.start();
  endpoint = `${server.origin}/graphql`;
  await executor.start();
});

after(async () => {
  await executor.stop();
  await server.stop();
});

beforeEach(() => {
  plan.status = 0;
  plan.resets = 0;
});

describe('call: graphql against a real server', () => {
  it('runs a query with variables and reports {data}', async () => {
    const before = server.seen.length;
    const c = await executor.run('user', { call_type: 'graphql', endpoint, query: 'query ($id: ID!) { user(id: $id) { name email } }', variables: { id: '1' } });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, { data: { user: { name: 'Ada', email: 'ada@example.test' } } });
    const sent = server.seen.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.method, 'POST');
    assert.equal(sent[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(sent[0]!.body), { query: 'query ($id: ID!) { user(id: $id) { name email } }', variables: { id: '1' } });
    assert.equal(c.data.input['call_type'], 'graphql');
    assert.equal(c.data.input['endpoint'], endpoint);
  });

  it('accepts the SDL form and applies output.as', async () => {
    const c = await executor.run('sdl', { call: 'graphql', with: { endpoint: { uri: endpoint }, query: '{ users { name } }' }, output: { as: '${ [.data.users[].name] }' } });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, ['Ada', 'Grace']);
  });

  it('runs the operation operationName names, and refuses a document with several and none named, sending nothing', async () => {
    const query = 'query First { user(id: "1") { name } } query Second { user(id: "2") { name } }';
    const c = await executor.run('second', { call_type: 'graphql', endpoint, query, operationName: 'Second' });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, { data: { user: { name: 'Grace' } } });
    assert.equal((JSON.parse(server.seen.at(-1)!.body) as { operationName: string }).operationName, 'Second');

    const before = server.seen.length;
    const ambiguous = await executor.run('ambiguous', { call_type: 'graphql', endpoint, query });
    assert.equal(ambiguous.success, false);
    assert.equal(ambiguous.error, 'invalid GraphQL call: the query defines 2 operations; operationName must name the one to run (operations: First, Second)');
    const unknown = await executor.run('unknown', { call_type: 'graphql', endpoint, query, operationName: 'Third' });
    assert.equal(unknown.error, 'invalid GraphQL call: the query has no operation named "Third" (operations: First, Second)');
    assert.equal(server.seen.length, before, 'nothing was sent');
  });

  it('refuses a syntax error with its line and column, sending nothing', async () => {
    const before = server.seen.length;
    const c = await executor.run('broken', { call_type: 'graphql', endpoint, query: '{ user(id: "1") { name }' });
    assert.equal(c.success, false);
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/configuration');
    assert.equal(c.error, 'invalid GraphQL call: the query is not valid GraphQL: Syntax Error: Expected Name, found <EOF>. (line 1, column 25)');
    assert.equal(server.seen.length, before);
  });

  it('fails an answer with errors (GRAPHQL_ERRORS) and keeps the partial data in the output', async () => {
    const c = await executor.run('partial', { call_type: 'graphql', endpoint, query: '{ user(id: "2") { name } boom }' });
    assert.equal(c.success, false);
    assert.equal(code(c), 'GRAPHQL_ERRORS');
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/runtime');
    assert.equal(c.error, 'GraphQL request returned errors: boom failed');
    const data = c.error_details?.['data'] as { errors: { message: string; path: string[] }[]; endpoint: string };
    assert.deepEqual(data.errors.map((e) => [e.message, e.path]), [['boom failed', ['boom']]]);
    assert.equal(data.endpoint, endpoint);
    const output = c.output as { data: unknown; errors: unknown[] };
    assert.deepEqual(output.data, { user: { name: 'Grace' }, boom: null });
    assert.equal(output.errors.length, 1);
  });

  it('runs a mutation once: a connection closed without an answer is not resent', async () => {
    const before = operations().length;
    plan.resets = 1;
    const c = await executor.run('rename', { call_type: 'graphql', endpoint, query: 'mutation ($name: String!) { rename(id: "2", name: $name) { name } }', variables: { name: 'Grace H.' } });
    assert.equal(c.success, false);
    assert.equal(code(c), 'NETWORK');
    assert.match(c.error, /^GraphQL request failed: /);
    assert.equal(operations().length - before, 1, 'the mutation was sent once');
    assert.equal(users.get('2')!.name, 'Grace');
  });

  it('resends a query after a connection closed without an answer (transport retries)', async () => {
    const before = operations().length;
    plan.resets = 1;
    const c = await executor.run('users', { call_type: 'graphql', endpoint, query: '{ users { id } }' });
    assert.equal(c.success, true, c.error);
    assert.equal(operations().length - before, 2, 'the query was sent again after the reset');
    assert.equal(executor.metrics.count('retries', 'transport', 'call'), 1);
  });

  it('sends the bearer token and redacts it from everything published', async () => {
    const c = await executor.run('whoami', { call_type: 'graphql', endpoint, query: '{ whoami }', authentication: { bearer: { token: 's3cret-graphql-token' } } });
    assert.equal(c.success, true, c.error);
    assert.equal(server.seen.at(-1)!.headers.authorization, 'Bearer s3cret-graphql-token');
    const text = JSON.stringify(c);
    assert.ok(!text.includes('s3cret-graphql-token'), text);
    assert.equal(c.data.input['authentication'], undefined);
  });

  it('with validate: true, refuses an unknown field by the introspected schema without running the operation, and caches the schema', async () => {
    const url = `${endpoint}?v=1`;
    const before = server.seen.length;
    const c = await executor.run('checked', { call_type: 'graphql', endpoint: url, query: '{ user(id: "1") { name nickname } }', validate: true });
    assert.equal(c.success, false);
    assert.equal(code(c), 'GRAPHQL_INVALID');
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
    assert.equal(c.error, `GraphQL query does not match the schema of ${url}: Cannot query field "nickname" on type "User". Did you mean "name"? (line 1, column 24)`);
    const problems = (c.error_details?.['data'] as { problems: unknown[] }).problems;
    assert.deepEqual(problems, [{ message: 'Cannot query field "nickname" on type "User". Did you mean "name"?', locations: [{ line: 1, column: 24 }] }]);
    const sent = server.seen.slice(before);
    assert.equal(sent.length, 1, 'only the introspection query was sent');
    assert.ok(sent[0]!.body.includes('__schema'));

    const ok = await executor.run('checked-ok', { call_type: 'graphql', endpoint: url, query: '{ user(id: "1") { name } }', validate: true });
    assert.equal(ok.success, true, ok.error);
    assert.equal(server.seen.length - before, 2, 'the schema came from the cache: one more request, the operation');
  });

  it('with validate: true, fails when the server refuses introspection, without running the operation', async () => {
    const url = `${endpoint}?introspection=off`;
    const before = server.seen.length;
    const c = await executor.run('closed', { call_type: 'graphql', endpoint: url, query: '{ users { id } }', validate: true });
    assert.equal(c.success, false);
    assert.equal(code(c), 'GRAPHQL_ERRORS');
    assert.equal(c.error, 'GraphQL schema introspection failed: GraphQL request returned errors: GraphQL introspection is not allowed');
    assert.equal(c.error_details?.['type'], 'https://serverlessworkflow.io/spec/1.0.0/errors/validation');
    assert.equal(server.seen.length - before, 1);
  });

  it('fails a 500 as HTTP calls do (HTTP_5XX), with the status and body in the output', async () => {
    plan.status = 500;
    const c = await executor.run('down', { call_type: 'graphql', endpoint, query: '{ users { id } }' });
    assert.equal(c.success, false);
    assert.equal(code(c), 'HTTP_5XX');
    assert.equal(c.error, 'HTTP request failed with status 500');
    assert.deepEqual(c.output, { status_code: 500, headers: (c.output as { headers: unknown }).headers, data: { message: 'unavailable' } });
  });

  it('fails a 400 whose body holds GraphQL errors (as Apollo answers a refused query) with the errors in error_details, the status and body kept', async () => {
    const c = await executor.run('apollo', { call_type: 'graphql', endpoint: `${endpoint}?apollo=on`, query: '{ users { nope } }' });
    assert.equal(c.success, false);
    assert.equal(code(c), 'HTTP_4XX');
    assert.equal(c.error_details?.['status'], 400);
    assert.equal(c.error, 'HTTP request failed with status 400: GraphQL errors: Cannot query field "nope" on type "User". Did you mean "name"?');
    const data = c.error_details?.['data'] as { errors: { message: string }[]; endpoint: string };
    assert.deepEqual(data.errors.map((e) => e.message), ['Cannot query field "nope" on type "User". Did you mean "name"?']);
    const output = c.output as { status_code: number; data: { errors: unknown[] } };
    assert.equal(output.status_code, 400);
    assert.equal(output.data.errors.length, 1);
  });

  it('refuses a subscription', async () => {
    const c = await executor.run('sub', { call_type: 'graphql', endpoint, query: 'subscription { users { id } }' });
    assert.equal(c.error, 'invalid GraphQL call: subscriptions are not supported (a call task takes one answer); use a query or a mutation');
  });

  it('runs the example of docs/call-graphql.md as written (endpoint aside)', async () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'call-graphql.md'), 'utf8');
    const block = /<!-- example: first -->\s*```json\n([\s\S]*?)```/.exec(doc);
    assert.ok(block, 'the document has the example');
    const parameters = JSON.parse(block[1]!.replaceAll('https://api.example.test/graphql', endpoint)) as Record<string, unknown>;
    const c = await executor.run('documented', parameters, { input: { userId: '1' } });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, { name: 'Ada', email: 'ada@example.test' });
  });

  it('runs the task request of docs/call-graphql.md, and refuses its misspelt variant as the document says', async () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'call-graphql.md'), 'utf8');
    const block = /<!-- example: run -->\s*```json\n([\s\S]*?)```/.exec(doc);
    assert.ok(block, 'the document has the task request');
    const url = `${endpoint}?doc=run`;
    const requestOf = (text: string) => JSON.parse(text.replaceAll('http://127.0.0.1:4000/graphql', url)) as { config: { parameters: Record<string, unknown> }; input: Record<string, unknown> };
    const task = requestOf(block[1]!);
    const c = await executor.run('documented-run', task.config.parameters, { input: task.input });
    assert.equal(c.success, true, c.error);
    assert.deepEqual(c.output, { name: 'Ada', email: 'ada@example.test' });

    const before = server.seen.length;
    const misspelt = requestOf(block[1]!.replace('name email', 'name mail'));
    const refused = await executor.run('documented-misspelt', misspelt.config.parameters, { input: misspelt.input });
    const said = /is `(GraphQL query does not match[\s\S]*?)`, and nothing/.exec(doc);
    assert.ok(said, 'the document quotes the error');
    assert.equal(refused.error, said[1]!.replace(/\s*\n\s*/g, ' ').replace('http://127.0.0.1:4000/graphql', url));
    assert.equal(server.seen.length, before, 'the schema was cached: nothing reached the server');
  });
});

describe('call: graphql and the circuit breaker', () => {
  // One failure within the window opens a circuit: one per tenant and host.
  const strict = new Executor({ CIRCUIT_BREAKER_VOLUME_THRESHOLD: '1', CIRCUIT_BREAKER_ERROR_PERCENT: '1', CIRCUIT_BREAKER_RESET_TIMEOUT: '60s' });
  before(() => strict.start());
  after(() => strict.stop());

  it('opens the tenant’s circuit for the host after 5xx answers, and leaves other tenants’ calls alone', async () => {
    plan.status = 502;
    const failed = await strict.run('down', { call_type: 'graphql', endpoint, query: '{ users { id } }' });
    assert.equal(code(failed), 'HTTP_5XX');
    plan.status = 0;
    const before = server.seen.length;
    const refused = await strict.run('refused', { call_type: 'graphql', endpoint, query: '{ users { id } }' });
    assert.equal(code(refused), 'CIRCUIT_OPEN');
    assert.match(refused.error, /^GraphQL request failed: /);
    assert.equal(server.seen.length, before, 'the open circuit sent nothing');
    const other = await strict.run('other', { call_type: 'graphql', endpoint, query: '{ users { id } }' }, { tenant: 'globex' });
    assert.equal(other.success, true, other.error);
  });
});
