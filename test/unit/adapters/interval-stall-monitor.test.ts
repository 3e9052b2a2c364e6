import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntervalStallMonitor } from '../../../src/adapters/system/interval-stall-monitor';

/** A monitor on a hand-moved clock: each `at(t)` is one timer tick at time t. */
function makeSut() {
  let time = 1000;
  const sut = new IntervalStallMonitor({ intervalMs: 100, minStallMs: 100, keepMs: 120_000, now: () => time });
  const tickAt = (t: number): void => {
    time = t;
    sut.tick();
  };
  return { sut, tickAt, setTime: (t: number) => (time = t) };
}

describe('IntervalStallMonitor', () => {
  it('reports nothing while its timer fires on time (or only a little late)', () => {
    const { sut, tickAt } = makeSut();
    for (let t = 1100; t <= 3000; t += 100) tickAt(t + 30);
    assert.equal(sut.longestStallWithin(60_000), 0);
  });
  it('measures a stall as the lateness of its timer, and keeps the longest within the window', () => {
    const { sut, tickAt, setTime } = makeSut();
    tickAt(1100);
    tickAt(1200 + 12_300); // the loop was held for 12.3 s
    tickAt(13_600);
    tickAt(13_700 + 2_000);
    assert.equal(sut.longestStallWithin(60_000), 12_300);
    setTime(13_500 + 60_001);
    assert.equal(sut.longestStallWithin(60_000), 2_000, 'the long stall ended more than a minute ago');
    setTime(15_700 + 60_001);
    assert.equal(sut.longestStallWithin(60_000), 0);
  });
});
