import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, getIntrospectionQuery, graphqlSync } from 'graphql';
import { GraphqlJsDocuments, MAX_DOCUMENT_TOKENS, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, queryNestingDepth } from '../../../src/adapters/graphql/graphql-js-documents';
import { WorkflowError } from '../../../src/domain/workflow-error';

const documents = new GraphqlJsDocuments();

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

  it('builds a schema from an introspection answer and validates against it', () => {
    const schema = documents.schema(graphqlSync({ schema: buildSchema('type Query { alpha: Int }'), source: getIntrospectionQuery() }).data);
    assert.ok(schema.typeCount > 1);
    assert.deepEqual(documents.validate(schema, documents.operation('{ alpha }', undefined)), []);
    assert.deepEqual(documents.validate(schema, documents.operation('{ zzz }', undefined)), [{ message: 'Cannot query field "zzz" on type "Query".', locations: [{ line: 1, column: 3 }] }]);
  });

  it('refuses an answer that is no introspection result as GRAPHQL_BAD_RESPONSE', () => {
    const e = refusal(() => documents.schema({ hello: 1 }));
    assert.equal(e.code, 'GRAPHQL_BAD_RESPONSE');
    assert.equal(e.detail, 'GraphQL schema introspection failed: the introspection answer has no data.__schema');
    assert.equal(refusal(() => documents.schema({ __schema: { types: 'x' } })).code, 'GRAPHQL_BAD_RESPONSE');
  });
});
