import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutorLoop } from '../../../src/application/executor-loop';
import { InboundTask, TaskInbox } from '../../../src/application/ports/task-inbox.port';
import { ProcessDelivery, ProcessResult } from '../../../src/application/use-cases/process-delivery.use-case';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { InMemoryMetrics } from '../../support/in-memory-metrics';

/** One inbound task that counts its renewals. */
function hangingTask(): InboundTask & { renewals: number } {
  const task = {
    renewals: 0,
    origin: 'stream 1-0',
    renew(): Promise<boolean> {
      task.renewals++;
      return Promise.resolve(true);
    },
  };
  return task as unknown as InboundTask & { renewals: number };
}

function makeSut(task: InboundTask, deadlineInMs: number) {
  const clock = new FakeClock();
  let handed = false;
  const inbox: TaskInbox = {
    receive: async (_max, signal) => {
      if (!handed) {
        handed = true;
        return [task];
      }
      await clock.sleep(1000, signal).catch(() => undefined);
      return [];
    },
    isReady: () => true,
    close: () => Promise.resolve(),
  };
  // A bug: the task never finishes, and nothing ever times it out.
  const process = {
    execute: (_t: InboundTask, _s: AbortSignal, onDeadline?: (ms: number) => void): Promise<ProcessResult> => {
      onDeadline?.(clock.now() + deadlineInMs);
      return new Promise<ProcessResult>(() => undefined);
    },
  } as unknown as ProcessDelivery;
  const logger = new InMemoryLogger();
  const loop = new ExecutorLoop(inbox, process, clock, new InMemoryMetrics(), logger, { concurrency: 2, errorBackoffMs: 100, keepAliveIntervalMs: 10_000, defaultHoldMs: 300_000, overrunGraceMs: 60_000 });
  return { loop, clock, logger };
}

describe('ExecutorLoop', () => {
  it('renews a running task until its deadline plus the grace period, then leaves it to be redelivered and reports it', async () => {
    const task = hangingTask();
    const { loop, clock, logger } = makeSut(task, 30_000);
    loop.start();
    await clock.advance(80_000);
    const renewedInTime = task.renewals;
    assert.ok(renewedInTime >= 7, `renewed ${renewedInTime} times within deadline + grace`);
    assert.equal(loop.overdueCount, 0);
    await clock.advance(30_000);
    assert.equal(loop.overdueCount, 1);
    const after = task.renewals;
    await clock.advance(60_000);
    assert.equal(task.renewals, after, 'no renewal once overdue');
    assert.ok(logger.records.some((l) => l.message.includes('long past its deadline')));
  });
});
