import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { untilAborted } from '../../../src/domain/until-aborted';

describe('untilAborted', () => {
  it('settles as the work does while the signal stays quiet, and lets go of the signal', async () => {
    const controller = new AbortController();
    assert.equal(await untilAborted(Promise.resolve(7), controller.signal), 7);
    await assert.rejects(untilAborted(Promise.reject(new Error('broken')), controller.signal), /broken/);
    controller.abort(new Error('late'));
  });

  it('stops waiting with the signal\'s reason (or a given one) while the work goes on for others', async () => {
    let finish: (value: string) => void = () => undefined;
    const shared = new Promise<string>((resolve) => (finish = resolve));
    const first = new AbortController();
    const waiting = untilAborted(shared, first.signal);
    first.abort(new Error('deadline'));
    await assert.rejects(waiting, /deadline/);
    const second = new AbortController();
    const other = untilAborted(shared, second.signal, () => new Error('cancelled by the task'));
    finish('loaded');
    assert.equal(await other, 'loaded');
    second.abort();
    await assert.rejects(untilAborted(shared, second.signal, () => new Error('cancelled by the task')), /cancelled by the task/);
    await assert.rejects(untilAborted(shared, AbortSignal.abort('not an error')), /aborted/);
  });
});
