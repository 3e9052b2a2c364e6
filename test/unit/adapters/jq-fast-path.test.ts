import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PooledJqExpressionEvaluator } from '../../../src/adapters/jq/pooled-jq-expression-evaluator';
import { evaluatePath, parsePathExpression } from '../../../src/domain/jq-path';

/** The data a task's expressions see, with every kind of JSON value in it. */
const scope = {
  input: { id: 42, name: 'Ada', zero: 0, no: false, nothing: null, big: 12345678901234568, neg: -0.5, tags: ['a', 'b', 'c'], nested: { deep: { deeper: [1, { x: 'y' }] } }, 'odd key': 1, if: 'keyword', '': 'empty' },
  variables: { customer: { name: 'Grace', orders: [] }, count: 3 },
  task_outputs: { previous: { status_code: 200 } },
  workflow_input: {},
  context: { retry_context: { attempt_count: 2 } },
  text: 'a string',
  list: [[1, 2], [3]],
};
const extra = { text: 'overrides the scope', error: { status: 503, title: 'Service Unavailable' }, __output: { data: [1] } };
const variables = { workflow: { id: 'wf_1', input: { a: 1 } }, task: { name: 't', id: 'task-t-1' }, input: { id: 42 } };

const EXPRESSIONS = [
  '.',
  '.input',
  '.input.id',
  '.input.name',
  '.input.zero',
  '.input.no',
  '.input.nothing',
  '.input.nothing.below',
  '.input.nothing[0]',
  '.input.big',
  '.input.neg',
  '.input.missing',
  '.input.tags',
  '.input.tags[0]',
  '.input.tags[2]',
  '.input.tags[3]',
  '.input.tags[-1]',
  '.input.tags[-3]',
  '.input.tags[-4]',
  '.input.tags.[1]',
  '.input.nested.deep.deeper[1].x',
  '.input.nested["deep"]["deeper"][0]',
  '.input."odd key"',
  '.input["odd key"]',
  '.input.if',
  '.input[""]',
  '.variables.customer.name',
  '.variables.customer.orders[0]',
  '.variables.count',
  '.task_outputs.previous.status_code',
  '.context.retry_context.attempt_count',
  '.list[0][1]',
  '.list[1][5]',
  '.error.status',
  '.error',
  '.text',
  '.__output.data[0]',
  '$workflow.id',
  '$workflow.input.a',
  '$task.name',
  '$input.id',
  '.[“x”]',
  // jq raises an error for these: the fast path must leave them to jq.
  '.text.length',
  '.input.tags.first',
  '.input[0]',
  '.input.id.x',
  '.list.x',
  '$missing',
  // Not paths at all.
  '.input.tags | length',
  '.input.id + 1',
  '.input.tags[]',
  '..',
  '.input.name?',
];

describe('the in-process path evaluator agrees with jq', () => {
  const jq = new PooledJqExpressionEvaluator();
  after(() => jq.close());

  it('gives exactly jq\'s result for every path it answers, and declines every expression jq fails', async () => {
    const outcomes = await jq.evaluate(EXPRESSIONS, { layers: [scope, extra], variables }, { timeoutMs: 10_000 });
    let answered = 0;
    EXPRESSIONS.forEach((expression, i) => {
      const path = parsePathExpression(expression);
      const fast = path && evaluatePath(path, [scope, extra], variables);
      const slow = outcomes[i];
      assert.ok(slow, expression);
      if (!fast) return;
      answered++;
      assert.ok(slow.ok, `jq failed where the fast path answered: ${expression}`);
      assert.deepEqual(fast.value, slow.value, expression);
    });
    // Every path expression of the table is answered in-process (the table exercises the fast path).
    assert.equal(answered, 40);
    for (const expression of ['.text.length', '.input.tags.first', '.input[0]', '.input.id.x', '.list.x', '$missing']) {
      const outcome = outcomes[EXPRESSIONS.indexOf(expression)];
      assert.equal(outcome?.ok, false, `jq should fail: ${expression}`);
    }
  });
});
