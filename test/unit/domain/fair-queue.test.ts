import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairQueue } from '../../../src/domain/fair-queue';

describe('FairQueue', () => {
  it('serves shares in turns: a share with a long line does not hold up another share’s job', () => {
    const queue = new FairQueue<string>({ perShare: 10, total: 100 });
    for (const job of ['a1', 'a2', 'a3', 'a4']) queue.push('a', job);
    queue.push('b', 'b1');
    queue.push('c', 'c1');
    assert.deepEqual(queue.drain(), ['a1', 'b1', 'c1', 'a2', 'a3', 'a4']);
    assert.equal(queue.size, 0);
  });

  it('keeps each share’s own jobs in order, and a share that comes back waits for its turn', () => {
    const queue = new FairQueue<string>({ perShare: 10, total: 100 });
    queue.push('a', 'a1');
    queue.push('a', 'a2');
    queue.push('b', 'b1');
    assert.equal(queue.shift(), 'a1');
    queue.push('c', 'c1');
    assert.deepEqual(queue.drain(), ['b1', 'a2', 'c1']);
  });

  it('refuses a job beyond a share’s line, and beyond the whole queue, without touching other shares', () => {
    const queue = new FairQueue<string>({ perShare: 2, total: 3 });
    assert.equal(queue.push('a', 'a1'), 'queued');
    assert.equal(queue.push('a', 'a2'), 'queued');
    assert.equal(queue.push('a', 'a3'), 'share-full');
    assert.equal(queue.push('b', 'b1'), 'queued');
    assert.equal(queue.push('c', 'c1'), 'full');
    assert.equal(queue.size, 3);
  });

  it('takes out a job that is still waiting, and says so', () => {
    const queue = new FairQueue<string>({ perShare: 5, total: 5 });
    queue.push('a', 'a1');
    queue.push('a', 'a2');
    assert.equal(queue.remove('a', 'a1'), true);
    assert.equal(queue.remove('a', 'a1'), false);
    assert.equal(queue.remove('b', 'x'), false);
    assert.deepEqual(queue.drain(), ['a2']);
  });
});
