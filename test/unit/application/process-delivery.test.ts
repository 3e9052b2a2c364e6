import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskHandlerRegistry } from '../../../src/application/handlers/task-handler-registry';
import { TaskHandler } from '../../../src/application/ports/task-handler.port';
import { DeadLetterTask } from '../../../src/application/use-cases/dead-letter-task.use-case';
import { ExecuteTask } from '../../../src/application/use-cases/execute-task.use-case';
import { ProcessDelivery } from '../../../src/application/use-cases/process-delivery.use-case';
import { FakeClock } from '../../../src/adapters/memory/fake-clock';
import { InMemoryLogger } from '../../../src/adapters/memory/in-memory-logger';
import { InMemoryMetrics } from '../../../src/adapters/memory/in-memory-metrics';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { InMemoryTaskSource } from '../../../src/adapters/memory/in-memory-task-source';
import { SeededRandom } from '../../../src/adapters/memory/seeded-random';
import { RetryPolicy } from '../../../src/domain/retry-policy';

const STREAM = 'tenant:acme:workflow:wf_1:events';

/** A handler that has a side effect (counted) and then fails with a bug. */
class BuggyHandler implements TaskHandler {
  readonly taskType = 'buggy';
  calls = 0;
  execute(): Promise<never> {
    this.calls++;
    return Promise.reject(new TypeError('cannot read properties of undefined'));
  }
}

function makeSut() {
  const clock = new FakeClock();
  const broker = new InMemoryStreamBroker(clock);
  const source = new InMemoryTaskSource(broker, clock, { group: 'g', consumer: 'c', streams: [STREAM], reclaimIdleMs: 0, blockMs: 1000 });
  const handler = new BuggyHandler();
  const evaluator = { evaluate: () => Promise.resolve([]), close: () => Promise.resolve() };
  const execute = new ExecuteTask(new TaskHandlerRegistry([handler]), clock, evaluator, { defaultTimeoutMs: 60_000 });
  const retry = new RetryPolicy({ delayMs: 200, backoff: { kind: 'exponential', multiplier: 2 }, maxAttempts: 3, retryOn: 'any' });
  const sut = new ProcessDelivery(source, execute, new DeadLetterTask(clock), clock, new SeededRandom(), new InMemoryMetrics(), new InMemoryLogger(), { retry, maxDeliveries: 5 });
  return { sut, broker, source, handler, clock };
}

describe('ProcessDelivery', () => {
  it('never runs a handler twice when it throws: one dead letter and one failed completion', async () => {
    const { sut, broker, source, handler, clock } = makeSut();
    broker.append(STREAM, {
      type: 'io.flunq.task.requested',
      taskid: 'task-x-1',
      workflowid: 'wf_1',
      executionid: 'ex_1',
      data: JSON.stringify({ task_id: 'task-x-1', task_name: 'x', task_type: 'buggy' }),
    });
    const [delivery] = await source.receive(1, new AbortController().signal);
    assert.ok(delivery);
    const processing = sut.execute(delivery, new AbortController().signal);
    await clock.advance(10_000);
    assert.equal(await processing, 'dead_lettered');
    assert.equal(handler.calls, 1, 'the handler may have had side effects: it must not run again');
    const types = broker.entries(STREAM).map((e) => e.fields['type']);
    assert.deepEqual(types, ['io.flunq.task.requested', 'io.flunq.task.dlq', 'io.flunq.task.completed']);
    const completion = JSON.parse(broker.entries(STREAM)[2]?.fields['data'] ?? '{}') as { success: boolean; error: string };
    assert.equal(completion.success, false);
    assert.match(completion.error, /internal error while executing the task: cannot read properties of undefined/);
    assert.equal(broker.pending(STREAM, 'g').size, 0);
  });
});
