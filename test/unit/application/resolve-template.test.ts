import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PooledJqExpressionEvaluator } from '../../../src/adapters/jq/pooled-jq-expression-evaluator';
import { ExpressionEvaluator } from '../../../src/application/ports/expression-evaluator.port';
import { resolveTemplate } from '../../../src/application/resolve-template';
import { WorkflowError } from '../../../src/domain/workflow-error';

const jq = new PooledJqExpressionEvaluator();
after(() => jq.close());

const input = { layers: [{ input: { id: 7, api_key: 'AKIA-s3cr3t-VALUE', nested: { password: 'hunter2-pass' }, name: 'ada' } }], variables: {} };
const limits = { timeoutMs: 5_000 };

async function failure(template: unknown): Promise<WorkflowError> {
  try {
    await resolveTemplate(jq, template, input, limits);
  } catch (error) {
    assert.ok(error instanceof WorkflowError);
    return error;
  }
  assert.fail('expected the template to fail');
}

describe('resolveTemplate', () => {
  it('answers plain paths in-process and sends the rest to the evaluator in one batch', async () => {
    const calls: string[][] = [];
    const counting: ExpressionEvaluator = {
      evaluate: (expressions, i, l) => {
        calls.push([...expressions]);
        return jq.evaluate(expressions, i, l);
      },
      close: () => Promise.resolve(),
    };
    const out = await resolveTemplate(counting, { a: '${ .input.id }', b: ['${ .input.id + 1 }', 'text', { c: '${ .input.name | ascii_upcase }' }] }, input, limits);
    assert.deepEqual(out, { a: 7, b: [8, 'text', { c: 'ADA' }] });
    assert.deepEqual(calls, [['.input.id + 1', '.input.name | ascii_upcase']]);
  });

  it('returns the template itself when it holds no expression', async () => {
    const template = { a: [1, 'x'] };
    assert.equal(await resolveTemplate(jq, template, input, limits), template);
  });

  it('never lets an expression error carry a value found under a sensitive name', async () => {
    for (const expression of ['error(.input.api_key)', 'error(.input.nested)', '.input.api_key | error', '"prefix " + .input.nested.password | error']) {
      const error = await failure(`\${ ${expression} }`);
      assert.doesNotMatch(error.detail, /s3cr3t|hunter2/, error.detail);
    }
  });
});
