import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { raisedError } from '../../../src/application/handlers/raise.handler';
import { WorkflowError } from '../../../src/domain/workflow-error';

describe('the error a raise task defines', () => {
  it('a standard type keeps its kind, the status given and names the task by default', () => {
    const error = raisedError({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/authorization', status: 451, title: 'Blocked' }, 'task-x-1');
    assert.equal(error.kind, 'authorization');
    assert.deepEqual(error.toProblem(), {
      type: 'https://serverlessworkflow.io/spec/1.0.0/errors/authorization',
      status: 451,
      title: 'Blocked',
      detail: 'Blocked',
      instance: '/tasks/task-x-1',
      data: { code: 'RAISED' },
    });
    assert.equal(error.retryable, false);
  });

  it("a workflow's own type is kept through copies (a try's data, an instance), as kind runtime", () => {
    const error = raisedError({ type: 'https://shop.example/errors/out-of-stock', status: 409, details: 'gone', instance: '/do/0/check' }, 'task-x-1');
    assert.equal(error.kind, 'runtime');
    const copy = error.withData({ attempts: 3 }).withInstance('/tasks/other');
    assert.equal(copy.type, 'https://shop.example/errors/out-of-stock');
    assert.equal(copy.instance, '/do/0/check');
    assert.equal(copy.detail, 'gone');
    assert.deepEqual(copy.toProblem().data, { attempts: 3, code: 'RAISED' });
  });

  it('a standard URI with an unknown kind is a custom type', () => {
    const error = raisedError({ type: 'https://serverlessworkflow.io/spec/1.0.0/errors/teapot', status: 418 }, 't');
    assert.equal(error.kind, 'runtime');
    assert.equal(error.type, 'https://serverlessworkflow.io/spec/1.0.0/errors/teapot');
  });

  it('refuses what is not a definition, as configuration errors', () => {
    const refused = (definition: unknown): WorkflowError => {
      try {
        raisedError(definition, 't');
      } catch (error) {
        assert.ok(error instanceof WorkflowError);
        assert.equal(error.kind, 'configuration');
        return error;
      }
      return assert.fail('should have been refused');
    };
    assert.match(refused(undefined).detail, /raise.error must be an object/);
    assert.match(refused({ type: 'u', status: 200.5 }).detail, /got 200.5/);
    assert.match(refused({ type: 'u', status: '400' }).detail, /got "400"/);
    assert.match(refused({ type: 'u', status: 400, title: 7 }).detail, /error.title must be a string, got number/);
  });
});
