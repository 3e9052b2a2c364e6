import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { PooledJqExpressionEvaluator } from '../../../src/adapters/jq/pooled-jq-expression-evaluator';
import { SeededRandom } from '../../support/seeded-random';
import { Re2jsPatternMatcher } from '../../../src/adapters/re2/re2js-pattern-matcher';
import { CallTaskHandler } from '../../../src/application/handlers/call/call.handler';
import { transformOutput } from '../../../src/application/handlers/output-transform';
import { TryTaskHandler } from '../../../src/application/handlers/try/try.handler';
import { CircuitBreaker } from '../../../src/application/ports/circuit-breaker.port';
import { ExpressionEvaluator } from '../../../src/application/ports/expression-evaluator.port';
import { HttpClient } from '../../../src/application/ports/http-client.port';
import { OpenApiDocumentSource } from '../../../src/application/ports/openapi-document-source.port';
import { TaskContext } from '../../../src/application/ports/task-handler.port';
import { resolveTemplate } from '../../../src/application/resolve-template';
import { TaskOutcome, succeeded } from '../../../src/domain/task-result';
import { errors } from '../../../src/domain/workflow-error';
import { fakeContext, request } from '../try/fake-context';

const OUTPUT = { status_code: 200, headers: { 'Content-Type': ['application/json'] }, data: { id: 3, name: 'Rex', tags: ['a', 'b'] } };
const INPUT = { customer: 'acme' };

/** A context for a task named `fetch` whose input is INPUT; `resolve` may be replaced. */
async function contextFor(resolve?: TaskContext['resolve']): Promise<TaskContext> {
  const { context } = await fakeContext(request({ task_name: 'fetch', task_type: 'call', input: INPUT }));
  return resolve ? { ...context, resolve } : context;
}

describe('transformOutput: the one output.as rule', () => {
  it('an object of names replaces the output; the expressions see the raw output as `.`', async () => {
    const context = await contextFor();
    const as = { petName: '${ .data.name }', code: '${ .status_code }', tagCount: '${ .data.tags | length }', nested: { first: '${ .data.tags[0] }', fixed: 1 }, literal: 'kept' };
    assert.deepEqual(await transformOutput(context, as, OUTPUT), { petName: 'Rex', code: 200, tagCount: 2, nested: { first: 'a', fixed: 1 }, literal: 'kept' });
  });

  it('leaves out a name whose expression fails and keeps the others', async () => {
    const context = await contextFor();
    assert.deepEqual(await transformOutput(context, { petName: '${ .data.name }', broken: '${ .data | nosuch }', alsoBroken: '${ .data.name + 1 }' }, OUTPUT), { petName: 'Rex' });
  });

  it('reads the task data through variables, not through `.`', async () => {
    const context = await contextFor();
    assert.deepEqual(await transformOutput(context, { viaVariable: '${ $input.customer }', viaDot: '${ .input.customer }' }, OUTPUT), { viaVariable: 'acme', viaDot: null });
  });

  it('a single expression gives {<task name>: value}, and keeps the raw output when it fails', async () => {
    const context = await contextFor();
    assert.deepEqual(await transformOutput(context, '${ .data }', OUTPUT), { fetch: OUTPUT.data });
    assert.deepEqual(await transformOutput(context, '${ . }', OUTPUT), { fetch: OUTPUT });
    assert.equal(await transformOutput(context, '${ .data | nosuch }', OUTPUT), OUTPUT);
  });

  it('keeps the raw output for anything else', async () => {
    const context = await contextFor();
    for (const as of [undefined, null, 'not an expression', 42, ['${ .data }']]) assert.equal(await transformOutput(context, as, OUTPUT), OUTPUT, JSON.stringify(as));
  });

  it('sees an output that is not an object, and null for none', async () => {
    const context = await contextFor();
    assert.deepEqual(await transformOutput(context, { value: '${ . }', size: '${ length }' }, 'text'), { value: 'text', size: 4 });
    assert.deepEqual(await transformOutput(context, { value: '${ . }' }, undefined), { value: null });
  });

  it('fails with a stopped evaluation (time or memory limit) instead of swallowing it', async () => {
    for (const stopped of [errors.expressionTimeout('stopped after 2000 ms'), errors.expressionLimit('heap limit'), errors.timeout('task exceeded its timeout of 5 ms')]) {
      const context = await contextFor(() => Promise.reject(stopped));
      await assert.rejects(transformOutput(context, { a: '${ .data }' }, OUTPUT), (e: unknown) => e === stopped);
      await assert.rejects(transformOutput(context, '${ .data }', OUTPUT), (e: unknown) => e === stopped);
    }
  });

  it('answers plain paths over the output in-process, and sends the rest to jq in one batch', async () => {
    const jq = new PooledJqExpressionEvaluator();
    const sent: string[][] = [];
    const counting: ExpressionEvaluator = { evaluate: (expressions, input, limits) => (sent.push([...expressions]), jq.evaluate(expressions, input, limits)), close: () => jq.close() };
    const base = await contextFor();
    const variables = { input: INPUT };
    const context = await contextFor((value, extra) => resolveTemplate(counting, value, { layers: extra ? [base.scope, extra] : [base.scope], variables }, { timeoutMs: 5_000 }));
    assert.deepEqual(await transformOutput(context, { name: '${ .data.name }', first: '${ .data.tags[0] }', all: '${ . }', quoted: '${ ."status_code" }' }, OUTPUT), { name: 'Rex', first: 'a', all: OUTPUT, quoted: 200 });
    assert.deepEqual(sent, [], 'paths need no jq');
    assert.deepEqual(await transformOutput(context, { n: '${ .data.tags | length }', up: '${ .data.name | ascii_upcase }' }, OUTPUT), { n: 2, up: 'REX' });
    assert.equal(sent.length, 1, 'one batch for every name');
    await jq.close();
  });
});

/** The same output.as over the same output, through each handler that applies it. */
describe('output.as behaves the same in the call and try handlers', () => {
  const http: HttpClient = {
    send: (req) => Promise.resolve({ status: 200, headers: { 'content-type': ['application/json'] }, body: new TextEncoder().encode(JSON.stringify(OUTPUT.data)), url: req.url }),
    close: () => Promise.resolve(),
  };
  const breaker: CircuitBreaker = { run: (_scope, action) => action(), close: () => Promise.resolve() };
  const documents: OpenApiDocumentSource = { load: () => assert.fail('no OpenAPI here') };

  async function viaCall(parameters: Record<string, unknown>, input: Record<string, unknown> = {}): Promise<TaskOutcome> {
    const { context } = await fakeContext(request({ task_name: 'fetch', task_type: 'call', input, config: { parameters: { url: 'https://api.example.test/pets/3', ...parameters } } }));
    return new CallTaskHandler(http, breaker, documents, new FakeClock()).execute(context);
  }

  async function viaTry(as: unknown): Promise<TaskOutcome> {
    const inner = { call: 'http', with: { method: 'GET', url: 'https://api.example.test/pets/3' }, output: { as } };
    const rawOutput = (await viaCall({})).output;
    const { context } = await fakeContext(request({ task_name: 'fetch', input: { try_catch_config: { try: inner, catch: {} } } }), [succeeded(rawOutput)]);
    return new TryTaskHandler(new FakeClock(), new SeededRandom(), new InMemoryMetrics(), new Re2jsPatternMatcher()).execute(context);
  }

  const RAW = { status_code: 200, headers: { 'Content-Type': ['application/json'] }, data: OUTPUT.data };
  // What the DSL's own `output.as` on a call gives where it differs: a single expression's value is the output.
  const cases: [string, unknown, unknown, unknown][] = [
    ['an object, with a failing name', { petName: '${ .data.name }', code: '${ .status_code }', broken: '${ .data | nosuch }' }, { petName: 'Rex', code: 200 }, { petName: 'Rex', code: 200 }],
    ['a single expression', '${ .data.tags }', { fetch: ['a', 'b'] }, ['a', 'b']],
    ['a failing single expression', '${ .data | nosuch }', RAW, 'fails'],
    ['a plain string', 'data', RAW, RAW],
  ];
  for (const [name, as, expected, dsl] of cases) {
    it(`${name}: flunq output_config.as on a call and output.as inside try agree; the DSL output.as on a call follows the DSL`, async () => {
      const flunq = await viaCall({}, { output_config: { as } });
      const inner = await viaTry(as);
      for (const [form, outcome] of [['call output_config.as', flunq], ['try output.as', inner]] as const) {
        assert.ok(outcome.success, form);
        assert.deepEqual(outcome.output, expected, form);
      }
      const sdl = await viaCall({ output: { as } });
      if (dsl === 'fails') {
        assert.ok(!sdl.success && sdl.error.code === 'EXPRESSION_FAILED' && /output transformation failed/.test(sdl.error.detail));
        assert.deepEqual(sdl.output, RAW, 'the output is kept');
      } else {
        assert.ok(sdl.success);
        assert.deepEqual(sdl.output, dsl);
      }
    });
  }

  it('a stopped evaluation fails the task in both handlers, with its own code', async () => {
    const stopped = errors.expressionLimit('result too large');
    const { context: callContext } = await fakeContext(request({ task_name: 'fetch', task_type: 'call', config: { parameters: { url: 'https://api.example.test/pets/3', output: { as: { a: '${ .data }' } } } } }));
    const call = await new CallTaskHandler(http, breaker, documents, new FakeClock()).execute({ ...callContext, resolve: (value, extra) => (extra ? Promise.reject(stopped) : callContext.resolve(value, extra)) });
    assert.ok(!call.success && call.error.code === 'EXPRESSION_LIMIT');
    assert.deepEqual(call.output, { status_code: 200, headers: { 'Content-Type': ['application/json'] }, data: OUTPUT.data }, 'the output is kept');

    const inner = { call: 'http', with: { url: 'https://api.example.test/pets/3' }, output: { as: { a: '${ .data }' } } };
    const { context: tryContext } = await fakeContext(request({ task_name: 'fetch', input: { try_catch_config: { try: inner, catch: { errors: { with: { status: 503 } } } } } }), [succeeded(OUTPUT)]);
    const tried = await new TryTaskHandler(new FakeClock(), new SeededRandom(), new InMemoryMetrics(), new Re2jsPatternMatcher()).execute({ ...tryContext, resolve: () => Promise.reject(stopped) });
    assert.ok(!tried.success && tried.error.code === 'EXPRESSION_LIMIT');
  });
});
