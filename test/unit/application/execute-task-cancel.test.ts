import { eventFromFields as fromFields } from '../../../src/adapters/flunq-wire/stream-fields';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { TaskHandlerRegistry } from '../../../src/application/handlers/task-handler-registry';
import { WaitTaskHandler } from '../../../src/application/handlers/wait.handler';
import { ExpressionEvaluator } from '../../../src/application/ports/expression-evaluator.port';
import { ExecuteTask } from '../../../src/application/use-cases/execute-task.use-case';
import { parseTaskRequest, TaskRequest } from '../../../src/domain/task-request';

const evaluator: ExpressionEvaluator = { evaluate: () => assert.fail('no expressions here'), close: () => Promise.resolve() };

function waitRequest(i: number, seconds: number, timeout?: number): TaskRequest {
  const data = { task_id: `task-w-${i}`, task_name: 'w', task_type: 'wait', input: {}, config: { ...(timeout ? { timeout } : {}), parameters: { seconds } } };
  const parsed = parseTaskRequest(fromFields({ type: 'io.flunq.task.requested', data: JSON.stringify(data) }));
  assert.ok(parsed.ok);
  return parsed.request;
}

describe('ExecuteTask deadlines and cancellation', () => {
  it('cancels every running task when the service is forced to stop, without a listener per task', async () => {
    const clock = new FakeClock();
    const execute = new ExecuteTask(new TaskHandlerRegistry([new WaitTaskHandler(clock)]), clock, evaluator, { defaultTimeoutMs: 300_000 });
    const shutdown = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const runs = Array.from({ length: 12 }, (_, i) => execute.execute({ request: waitRequest(i, 60), attempt: 1, logger: new InMemoryLogger(), shutdown: shutdown.signal }));
      await clock.advance(1000);
      shutdown.abort();
      const results = await Promise.all(runs);
      for (const r of results) {
        assert.equal(r.outcome.success, false);
        assert.ok(!r.outcome.success && r.outcome.error.code === 'CANCELLED');
      }
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.map((w) => w.name), []);
      assert.deepEqual(clock.pendingTimers(), [], 'no deadline timer left behind');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('times out each task at its own config.timeout while others finish', async () => {
    const clock = new FakeClock();
    const execute = new ExecuteTask(new TaskHandlerRegistry([new WaitTaskHandler(clock)]), clock, evaluator, { defaultTimeoutMs: 300_000 });
    const shutdown = new AbortController().signal;
    const short = execute.execute({ request: waitRequest(1, 1, 5), attempt: 1, logger: new InMemoryLogger(), shutdown });
    const long = execute.execute({ request: waitRequest(2, 30, 5), attempt: 1, logger: new InMemoryLogger(), shutdown });
    await clock.advance(2000);
    const late = execute.execute({ request: waitRequest(3, 30, 5), attempt: 1, logger: new InMemoryLogger(), shutdown });
    await clock.advance(3000);
    assert.equal((await short).outcome.success, true);
    const timedOut = await long;
    assert.ok(!timedOut.outcome.success && timedOut.outcome.error.code === 'TIMEOUT');
    assert.equal(timedOut.completedAtMs - timedOut.startedAtMs, 5000);
    await clock.advance(2000);
    const third = await late;
    assert.ok(!third.outcome.success && third.outcome.error.code === 'TIMEOUT');
    assert.equal(third.completedAtMs - third.startedAtMs, 5000, 'the re-armed timer fires at the later task’s own deadline');
  });
});
