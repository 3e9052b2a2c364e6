import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutorLoop } from '../../../src/application/executor-loop';
import { ExecutorStatus } from '../../../src/application/executor-status';
import { TaskSource } from '../../../src/application/ports/task-source.port';
import { FakeClock } from '../../../src/adapters/memory/fake-clock';

function status(loop: Partial<ExecutorLoop>, sourceReady = true, clock = new FakeClock()): ExecutorStatus {
  const l = { lastActivityAt: clock.now(), isDraining: false, isHealthy: true, inFlightCount: 0, ...loop } as ExecutorLoop;
  const source = { isReady: () => sourceReady } as TaskSource;
  return new ExecutorStatus(l, source, clock, { stallAfterMs: 60_000 });
}

describe('ExecutorStatus', () => {
  it('is live and ready when the loop runs and the stream is set up', () => {
    const s = status({});
    assert.deepEqual(s.live(), { ok: true });
    assert.deepEqual(s.ready(), { ok: true });
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
});
