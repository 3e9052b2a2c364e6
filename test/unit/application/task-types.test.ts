import 'reflect-metadata';
import { eventFromFields } from '../../../src/adapters/flunq-wire/stream-fields';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';
import { SeededRandom } from '../../support/seeded-random';
import { Re2jsPatternMatcher } from '../../../src/adapters/re2/re2js-pattern-matcher';
import { SetTaskHandler } from '../../../src/application/handlers/set.handler';
import { TaskHandlerRegistry } from '../../../src/application/handlers/task-handler-registry';
import { TryTaskHandler } from '../../../src/application/handlers/try/try.handler';
import { ExpressionEvaluator } from '../../../src/application/ports/expression-evaluator.port';
import { TaskHandler } from '../../../src/application/ports/task-handler.port';
import { ExecuteTask } from '../../../src/application/use-cases/execute-task.use-case';
import { testExecutor } from '../../support/test-profile';
import { loadConfig } from '../../../src/config/env';
import { parseTaskRequest, TaskRequest } from '../../../src/domain/task-request';

const evaluator: ExpressionEvaluator = { evaluate: () => assert.fail('no expressions here'), close: () => Promise.resolve() };

function taskRequest(taskType: string, input: Record<string, unknown>): TaskRequest {
  const data = { task_id: `task-${taskType}-1`, task_name: 'guarded', task_type: taskType, input };
  const parsed = parseTaskRequest(eventFromFields({ type: 'io.flunq.task.requested', data: JSON.stringify(data) }));
  assert.ok(parsed.ok);
  return parsed.request;
}

function makeSut(): { execute: ExecuteTask; run: (request: TaskRequest) => ReturnType<ExecuteTask['execute']> } {
  const clock = new FakeClock();
  const registry = new TaskHandlerRegistry([new TryTaskHandler(clock, new SeededRandom(), new InMemoryMetrics(), new Re2jsPatternMatcher()), new SetTaskHandler()]);
  const execute = new ExecuteTask(registry, clock, evaluator, { defaultTimeoutMs: 60_000 });
  const run = (request: TaskRequest): ReturnType<ExecuteTask['execute']> => execute.execute({ request, attempt: 1, logger: new InMemoryLogger(), shutdown: new AbortController().signal });
  return { execute, run };
}

describe('the handler registry is the one list of task types', () => {
  it('lists the registered types sorted, and refuses two handlers for one type', () => {
    const handler = (taskType: string): TaskHandler => ({ taskType, execute: () => assert.fail('not run') });
    assert.deepEqual(new TaskHandlerRegistry([handler('wait'), handler('call'), handler('set')]).types(), ['call', 'set', 'wait']);
    assert.throws(() => new TaskHandlerRegistry([handler('set'), handler('set')]), /two handlers registered for task type 'set'/);
  });

  it('an unknown task type fails naming the registered types', async () => {
    const { run } = makeSut();
    const { outcome } = await run(taskRequest('teleport', {}));
    assert.ok(!outcome.success);
    assert.equal(outcome.error.code, 'UNKNOWN_TASK_TYPE');
    assert.equal(outcome.error.detail, 'unsupported task type: teleport (supported: set, try)');
  });

  it('a try whose inner task is of a type without a handler fails as configuration, naming the registered types, before running anything', async () => {
    const { run } = makeSut();
    const { outcome } = await run(taskRequest('try', { try_catch_config: { try: [{ first: { set: { a: 1 } } }, { pause: { wait: 'PT1S' } }], catch: {} } }));
    assert.ok(!outcome.success);
    assert.equal(outcome.error.kind, 'configuration');
    assert.equal(outcome.error.detail, 'invalid try configuration: try[1].pause names no task type this executor runs (expected one of set, try, or task_type)');
    const flunqShape = await run(taskRequest('try', { try_catch_config: { try: { task_type: 'wait', config: { parameters: { seconds: 1 } } }, catch: {} } }));
    assert.ok(!flunqShape.outcome.success);
    assert.equal(flunqShape.outcome.error.detail, 'invalid try configuration: try: unsupported task type: wait (supported: set, try)');
  });

  it('a try whose inner tasks are registered runs them', async () => {
    const { run } = makeSut();
    const { outcome } = await run(taskRequest('try', { try_catch_config: { try: { set: { a: 1 } }, catch: {} } }));
    assert.ok(outcome.success);
    assert.deepEqual(outcome.output, { a: 1 });
  });

  it('the composition root declares the registered handlers\' types to the metrics', async () => {
    const metrics = new InMemoryMetrics();
    const executor = await testExecutor(loadConfig({ EVENT_STREAM_TYPE: 'memory', HOSTNAME: 't' }), { metrics });
    assert.deepEqual(metrics.declaredTaskTypes, ['call', 'inject', 'raise', 'set', 'try', 'wait']);
    await executor.dispose();
  });
});
