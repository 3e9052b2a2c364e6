import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildSchema, getIntrospectionQuery, graphqlSync } from 'graphql';
import { GraphqlJsDocuments, MAX_DOCUMENT_TOKENS, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, queryNestingDepth } from '../../../src/adapters/graphql/graphql-js-documents';
import { GraphqlValidationThread } from '../../../src/adapters/graphql/graphql-validation-thread';
import { WorkflowError } from '../../../src/domain/workflow-error';

const documents = new GraphqlJsDocuments();
after(() => documents.close());

const HEAVY_SCHEMA = 'type Query { f(x: Int): Obj, g: Obj } type Obj { a: String, o: Obj }';

function introspection(sdl: string): unknown {
  return graphqlSync({ schema: buildSchema(sdl), source: getIntrospectionQuery() }).data;
}

async function rejection(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof WorkflowError);
    return e;
  }
  assert.fail('no error');
}

function refusal(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WorkflowError);
    return e;
  }
  assert.fail('no error');
}

describe('graphql-js documents', () => {
  it('picks the only operation, or the named one, with its kind', () => {
    assert.deepEqual([documents.operation('{ a }', undefined).kind, documents.operation('{ a }', undefined).name], ['query', undefined]);
    const two = 'query A { a } mutation B { b }';
    assert.deepEqual([documents.operation(two, 'B').kind, documents.operation(two, 'B').name], ['mutation', 'B']);
    assert.equal(documents.operation('subscription S { s }', undefined).kind, 'subscription');
  });

  it('refuses syntax errors with line and column, documents without operations, and documents past the token bound', () => {
    const syntax = refusal(() => documents.operation('query {\n  a(\n}', undefined));
    assert.equal(syntax.kind, 'configuration');
    assert.equal(syntax.detail, 'invalid GraphQL call: the query is not valid GraphQL: Syntax Error: Expected Name, found "}". (line 3, column 1)');
    assert.deepEqual(syntax.data, { locations: [{ line: 3, column: 1 }] });
    assert.equal(refusal(() => documents.operation('fragment F on Q { a }', undefined)).detail, 'invalid GraphQL call: the query defines no operation');
    const huge = `{ ${'a '.repeat(MAX_DOCUMENT_TOKENS + 1)}}`;
    assert.match(refusal(() => documents.operation(huge, undefined)).detail, /Document contains more that 20000 tokens/);
  });

  it('refuses a query nested past the depth bound before parsing it (a few thousand levels would overflow the stack)', () => {
    const deep = `{ g ${'{ o '.repeat(3000)}{ a }${' }'.repeat(3000)} }`;
    const started = performance.now();
    const e = refusal(() => documents.operation(deep, undefined));
    assert.equal(e.kind, 'configuration');
    assert.equal(e.detail, `invalid GraphQL call: the query nests deeper than ${MAX_QUERY_DEPTH} levels of selections, arguments, lists and objects`);
    assert.ok(performance.now() - started < 100);
    const atTheBound = `{ g ${'{ o '.repeat(MAX_QUERY_DEPTH - 3)}{ a }${' }'.repeat(MAX_QUERY_DEPTH - 3)} }`;
    assert.equal(queryNestingDepth(atTheBound, MAX_QUERY_DEPTH), MAX_QUERY_DEPTH - 1);
    assert.equal(documents.operation(atTheBound, undefined).kind, 'query');
    const values = `{ f(x: ${'['.repeat(MAX_QUERY_DEPTH)}1${']'.repeat(MAX_QUERY_DEPTH)}) }`;
    assert.match(refusal(() => documents.operation(values, undefined)).detail, /nests deeper than 64 levels/);
  });

  it('counts no brackets inside strings, block strings and comments', () => {
    const text = String.raw`query Q { a(s: "{{{[[[(((\"", b: """ {{{ \""" ((( """) # {{{[[[` + '\n b }';
    assert.equal(queryNestingDepth(text, 10), 2);
    assert.equal(documents.operation(text, undefined).name, 'Q');
  });

  it('refuses a query text longer than the character bound', () => {
    const long = `{ a(s: "${'x'.repeat(MAX_QUERY_CHARS)}") }`;
    assert.equal(refusal(() => documents.operation(long, undefined)).detail, `invalid GraphQL call: the query is ${long.length} characters long, more than ${MAX_QUERY_CHARS}`);
  });

  it('builds a schema from an introspection answer and validates against it', async () => {
    const schema = await documents.schema(introspection('type Query { alpha: Int }'));
    assert.ok(schema.typeCount > 1);
    assert.deepEqual(await documents.validate(schema, documents.operation('{ alpha }', undefined)), []);
    assert.deepEqual(await documents.validate(schema, documents.operation('{ zzz }', undefined)), [{ message: 'Cannot query field "zzz" on type "Query".', locations: [{ line: 1, column: 3 }] }]);
  });

  it('refuses an answer that is no introspection result as GRAPHQL_BAD_RESPONSE', async () => {
    const e = await rejection(documents.schema({ hello: 1 }));
    assert.equal(e.code, 'GRAPHQL_BAD_RESPONSE');
    assert.equal(e.detail, 'GraphQL schema introspection failed: the introspection answer has no data.__schema');
    assert.equal((await rejection(documents.schema({ __schema: { types: 'x' } }))).code, 'GRAPHQL_BAD_RESPONSE');
  });

  it('validates off the event loop: the loop keeps running while a large query is checked', async () => {
    const schema = await documents.schema(introspection(HEAVY_SCHEMA));
    // 1,700 fields of one name with different arguments: the merge rule compares them in pairs.
    const heavy = `{ ${Array.from({ length: 1700 }, (_, i) => `a: f(x: ${i}) { a }`).join(' ')} }`;
    const operation = documents.operation(heavy, undefined);
    let ticks = 0;
    let done = false;
    const ticking = (async () => {
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        ticks++;
      }
    })();
    const problems = await documents.validate(schema, operation);
    done = true;
    await ticking;
    // graphql-js spends a complexity budget on this rule and gives up past it.
    assert.deepEqual(problems, [{ message: 'Validation aborted: the query is too complex to validate', locations: [] }]);
    assert.ok(ticks > 5, `the event loop turned ${ticks} times during the validation`);
    assert.equal(await documents.validate(schema, operation), problems, 'the answer is kept per schema and query');
  });

  it('a validation past its time limit fails with a timeout; the next one runs on a fresh thread, the schema sent again', async () => {
    const thread = new GraphqlValidationThread({ timeoutMs: 1, maxMemoryMb: 64 });
    const quick = new GraphqlJsDocuments(thread);
    try {
      thread['settings'].timeoutMs = 10_000;
      const schema = await quick.schema(introspection(HEAVY_SCHEMA));
      const first = thread.generation;
      thread['settings'].timeoutMs = 1;
      const heavy = `{ ${Array.from({ length: 1700 }, (_, i) => `a: f(x: ${i}) { a }`).join(' ')} }`;
      const e = await rejection(quick.validate(schema, quick.operation(heavy, undefined)));
      assert.equal(e.code, 'TIMEOUT');
      assert.equal(e.detail, 'GraphQL validation took longer than 1 ms');
      thread['settings'].timeoutMs = 10_000;
      assert.deepEqual(await quick.validate(schema, quick.operation('{ g { a } }', undefined)), []);
      assert.equal(thread.generation, first + 1, 'a fresh thread, loaded with the schema again');
    } finally {
      await quick.close();
    }
  });

  it('serves tenants in turns: one tenant\'s backlog of validations does not hold up another tenant\'s', async () => {
    const thread = new GraphqlValidationThread({ timeoutMs: 30_000, maxMemoryMb: 64 });
    try {
      const answer = introspection(HEAVY_SCHEMA);
      const done: string[] = [];
      const build = (tenant: string, name: string, schemaId: number) => thread.run({ schemaId, introspection: answer }, tenant).then(() => done.push(name));
      await Promise.all([build('noisy', 'n1', 1), build('noisy', 'n2', 2), build('noisy', 'n3', 3), build('noisy', 'n4', 4), build('calm', 'c1', 5)]);
      // n1 was already running when the others came; c1 then waits for one noisy job, not three.
      assert.deepEqual(done, ['n1', 'n2', 'c1', 'n3', 'n4']);
    } finally {
      await thread.close();
    }
  });

  it('refuses at once, as BUSY, the validations of a tenant beyond its share of the queue', async () => {
    const thread = new GraphqlValidationThread({ timeoutMs: 30_000, maxMemoryMb: 64, maxQueuedPerTenant: 1 });
    try {
      const answer = introspection(HEAVY_SCHEMA);
      const running = thread.run({ schemaId: 1, introspection: answer }, 'noisy');
      const waiting = thread.run({ schemaId: 2, introspection: answer }, 'noisy');
      const e = await rejection(thread.run({ schemaId: 3, introspection: answer }, 'noisy'));
      assert.equal(e.code, 'BUSY');
      assert.equal(e.detail, 'too many GraphQL validations of this tenant wait for the validation thread (at most 1); try again later');
      assert.equal((await thread.run({ schemaId: 4, introspection: answer }, 'calm')).ok, true, 'another tenant still has its share');
      await Promise.all([running, waiting]);
    } finally {
      await thread.close();
    }
  });

  it('refuses at once, as BUSY, a validation beyond the bounded queue, and never runs one whose time ran out waiting', async () => {
    const thread = new GraphqlValidationThread({ timeoutMs: 10_000, maxMemoryMb: 64, maxQueued: 2 });
    try {
      const answer = introspection(HEAVY_SCHEMA);
      const running = thread.run({ schemaId: 1, introspection: answer });
      const waiting = [thread.run({ schemaId: 2, introspection: answer }), thread.run({ schemaId: 3, introspection: answer })];
      const e = await rejection(thread.run({ schemaId: 4, introspection: answer }));
      assert.equal(e.code, 'BUSY');
      assert.equal(e.retryable, true);
      assert.match(e.detail, /at most 2/);
      await Promise.all([running, ...waiting]);
      // Queued behind a job, with no time left by its turn: refused without running.
      thread['settings'].timeoutMs = 1;
      const heavy = `{ ${Array.from({ length: 1700 }, (_, i) => `a: f(x: ${i}) { a }`).join(' ')} }`;
      const busy = thread.run({ schemaId: 1, query: heavy });
      const late = thread.run({ schemaId: 6, introspection: answer });
      // Hold the loop past the queued job's 1 ms, so that by its turn its time has surely run out
      // (a timer of 1 ms may fire within the same millisecond of the wall clock).
      const until = Date.now() + 5;
      while (Date.now() < until) {
        // spin: no timer may fire meanwhile
      }
      const [ranTooLong, timedOut] = await Promise.all([rejection(busy), rejection(late)]);
      assert.equal(ranTooLong.detail, 'GraphQL validation took longer than 1 ms');
      assert.equal(timedOut.code, 'TIMEOUT');
      assert.match(timedOut.detail, /waited for the validation thread/);
    } finally {
      await thread.close();
    }
  });
});
