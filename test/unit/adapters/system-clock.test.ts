import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { SystemClock } from '../../../src/adapters/system/system-clock';

describe('SystemClock.sleep', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  async function settled(promise: Promise<void>): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return done;
  }

  it('waits the whole duration even beyond the 2^31-1 ms limit of Node timers', async () => {
    const clock = new SystemClock();
    const ms = 600 * 3_600_000; // 600 h
    const sleeping = clock.sleep(ms);
    mock.timers.tick(1);
    assert.equal(await settled(sleeping), false, 'must not fire after 1 ms');
    mock.timers.tick(2_147_483_647);
    assert.equal(await settled(sleeping), false, 'must not fire after the first chunk');
    mock.timers.tick(ms - 2_147_483_648 - 1);
    assert.equal(await settled(sleeping), false, 'must not fire 1 ms early');
    mock.timers.tick(1);
    assert.equal(await settled(sleeping), true);
  });

  it('rejects with the abort reason and clears its timer', async () => {
    const clock = new SystemClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(sleeping, /stop/);
  });
});
