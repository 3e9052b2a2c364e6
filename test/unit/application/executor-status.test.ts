import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutorLoop } from '../../../src/application/executor-loop';
import { ExecutorStatus } from '../../../src/application/executor-status';
import { EventLoopMonitor } from '../../../src/application/ports/event-loop-monitor.port';
import { TaskInbox } from '../../../src/application/ports/task-inbox.port';
import { FakeClock } from '../../support/fake-clock';

/** A monitor that reports the stalls a test records, each with the time it ended. */
class FakeEventLoopMonitor implements EventLoopMonitor {
  readonly stalls: { endedAt: number; ms: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  stall(ms: number): void {
    this.stalls.push({ endedAt: this.clock.now(), ms });
  }
  longestStallWithin(windowMs: number): number {
    return Math.max(0, ...this.stalls.filter((s) => s.endedAt >= this.clock.now() - windowMs).map((s) => s.ms));
  }
}

function status(loop: Partial<ExecutorLoop>, sourceReady = true, clock = new FakeClock(), monitor: EventLoopMonitor = new FakeEventLoopMonitor(clock)): ExecutorStatus {
  const l = { lastActivityAt: clock.now(), isDraining: false, isHealthy: true, inFlightCount: 0, overdueCount: 0, ...loop } as ExecutorLoop;
  const source = { isReady: () => sourceReady } as TaskInbox;
  return new ExecutorStatus(l, source, monitor, clock, { stallAfterMs: 60_000, eventLoopStallMs: 10_000, eventLoopStallWindowMs: 60_000 });
}

describe('ExecutorStatus', () => {
  it('is live and ready when the loop runs and the stream is set up', () => {
    const s = status({});
    assert.deepEqual(s.live(), { ok: true });
    assert.deepEqual(s.ready(), { ok: true });
  });
  it('fails liveness while a task runs long past its deadline', () => {
    assert.match(status({ overdueCount: 1, inFlightCount: 1 }).live().reason ?? '', /1 task\(s\) still running long past their deadline/);
  });
  it('is not ready while draining, starting, disconnected or after a failed read', () => {
    assert.match(status({ isDraining: true }).ready().reason ?? '', /draining/);
    assert.match(status({ lastActivityAt: 0 }).ready().reason ?? '', /starting/);
    assert.match(status({}, false).ready().reason ?? '', /not reachable/);
    assert.match(status({ isHealthy: false }).ready().reason ?? '', /last read/);
  });
  it('fails liveness only when the loop stalls with free slots', async () => {
    const clock = new FakeClock();
    const loop = { lastActivityAt: clock.now() };
    await clock.advance(61_000);
    assert.equal(status(loop, true, clock).live().ok, false);
    assert.match(status(loop, true, clock).live().reason ?? '', /no progress for 61 s/);
    assert.equal(status({ ...loop, inFlightCount: 4 }, true, clock).live().ok, true);
    assert.equal(status({ ...loop, isDraining: true }, true, clock).live().ok, true);
  });
  it('fails liveness for a minute after an event-loop stall longer than the threshold, even with tasks running', async () => {
    const clock = new FakeClock();
    const monitor = new FakeEventLoopMonitor(clock);
    const s = status({ inFlightCount: 4, lastActivityAt: clock.now() }, true, clock, monitor);
    monitor.stall(9_000);
    assert.deepEqual(s.live(), { ok: true }, 'a stall within the threshold');
    monitor.stall(12_345);
    assert.deepEqual(s.live(), { ok: false, reason: 'event loop stalled for 12.3 s' });
    await clock.advance(59_000);
    assert.equal(s.live().ok, false);
    await clock.advance(2_000);
    assert.deepEqual(s.live(), { ok: true }, 'forgotten after a minute');
  });
});
