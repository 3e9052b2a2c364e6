import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, flushAsyncWork } from '../../support/fake-clock';
import { StreamSet } from '../../../src/adapters/redis/stream-set';

function makeSut() {
  const clock = new FakeClock();
  const sut = new StreamSet(clock);
  const removed: string[] = [];
  sut.onRemove((stream) => removed.push(stream));
  /** Starts a wait and reports whether it has ended. */
  const startWait = (ms: number, signal = new AbortController().signal) => {
    let ended = false;
    void sut.waitForWork(signal, ms).then(() => (ended = true));
    return { ended: () => ended };
  };
  return { sut, clock, removed, startWait };
}

describe('StreamSet with a read gate', () => {
  const refuseBusy = (stream: string): boolean => !stream.startsWith('busy');

  it('hands out only admitted dirty streams; refused ones stay dirty, in their place', () => {
    const { sut } = makeSut();
    for (const s of ['busy1', 'small', 'busy2', 'other']) sut.admit(s);
    assert.equal(sut.admittedDirtyCount(refuseBusy), 2);
    assert.deepEqual(sut.takeDirty(5, refuseBusy), ['small', 'other']);
    assert.deepEqual(sut.firstKnown(5, refuseBusy), ['small', 'other']);
    assert.equal(sut.dirtyCount, 2);
    assert.deepEqual(sut.takeDirty(5), ['busy1', 'busy2']);
  });

  it('waits for work while only refused streams are dirty, and returns at once for an admitted one', async () => {
    const { sut, clock } = makeSut();
    sut.admit('busy1');
    let ended = false;
    void sut.waitForWork(new AbortController().signal, 1000, refuseBusy).then(() => (ended = true));
    await flushAsyncWork();
    assert.equal(ended, false);
    await clock.advance(1000);
    assert.equal(ended, true);
    sut.admit('small');
    assert.equal(sut.hasWork(refuseBusy), true);
  });
});

describe('StreamSet', () => {
  it('reads an admitted stream at once (dirty), and hands dirty streams out oldest first, each once', () => {
    const { sut } = makeSut();
    assert.equal(sut.admit('s1'), true);
    assert.equal(sut.admit('s2'), true);
    assert.equal(sut.admit('s1'), false, 'already known');
    assert.deepEqual(sut.takeDirty(1), ['s1']);
    assert.deepEqual(sut.takeDirty(5), ['s2']);
    assert.equal(sut.dirtyCount, 0);
    sut.markAllDirty();
    assert.deepEqual(sut.takeDirty(5), ['s1', 's2']);
  });

  it('marks a known stream dirty on a notification and wakes the waiters; unknown keys are left to discovery', async () => {
    const { sut, startWait } = makeSut();
    sut.admit('s1');
    sut.takeDirty(1);
    const wait = startWait(60_000);
    await flushAsyncWork();
    assert.equal(wait.ended(), false);
    assert.equal(sut.entryAdded('other'), false);
    await flushAsyncWork();
    assert.equal(wait.ended(), false, 'an unknown key wakes nobody by itself');
    assert.equal(sut.entryAdded('s1'), true);
    await flushAsyncWork();
    assert.equal(wait.ended(), true);
    assert.deepEqual(sut.takeDirty(5), ['s1']);
  });

  it('ignores notifications for streams the blocking read in flight covers, until that read ends', () => {
    const { sut } = makeSut();
    sut.admit('s1');
    sut.takeDirty(1);
    const covered = new Set(['s1']);
    sut.cover(covered);
    assert.equal(sut.entryAdded('s1'), true);
    assert.equal(sut.dirtyCount, 0, 'the blocking read returns the entry itself');
    sut.uncover(new Set(['s1']));
    assert.equal(sut.entryAdded('s1'), true);
    assert.equal(sut.dirtyCount, 0, 'only the same read ends its coverage');
    sut.uncover(covered);
    sut.entryAdded('s1');
    assert.equal(sut.dirtyCount, 1);
  });

  it('holds a stream with a new group back until its history is scanned, then reads it', () => {
    const { sut } = makeSut();
    sut.admit('s1');
    sut.holdForHistory('s1');
    assert.equal(sut.isKnown('s1'), false);
    assert.equal(sut.dirtyCount, 0);
    assert.deepEqual(sut.firstHeldForHistory(5), ['s1']);
    assert.equal(sut.hasWork(), true, 'a history to scan is work');
    sut.releaseFromHistory('s1');
    assert.equal(sut.isKnown('s1'), true);
    assert.equal(sut.heldForHistoryCount, 0);
    assert.deepEqual(sut.takeDirty(5), ['s1']);
  });

  it('tells the parts with per-stream state when a stream is removed, not when it is rejected or dropped', () => {
    const { sut, removed } = makeSut();
    sut.admit('s1');
    sut.admit('s2');
    sut.admit('s3');
    sut.remove('s1');
    sut.reject('s2');
    sut.drop('s3');
    assert.deepEqual(removed, ['s1']);
    assert.deepEqual(sut.knownStreams(), []);
    assert.equal(sut.isRejected('s2'), true);
    assert.deepEqual(sut.takeDirty(5), ['s3'], 'a dropped stream stays dirty until its group is created again');
    sut.clearRejected();
    assert.equal(sut.isRejected('s2'), false);
  });

  it('hands discovered names out once, and a discovery wakes the waiters', async () => {
    const { sut, startWait } = makeSut();
    const wait = startWait(60_000);
    sut.discover('new');
    await flushAsyncWork();
    assert.equal(wait.ended(), true);
    assert.deepEqual(sut.takeDiscovered(), ['new']);
    assert.deepEqual(sut.takeDiscovered(), []);
  });

  it('waits until the time is up or the signal aborts, and not at all while there is work', async () => {
    const { sut, clock, startWait } = makeSut();
    const timed = startWait(500);
    await clock.advance(499);
    assert.equal(timed.ended(), false);
    await clock.advance(1);
    await flushAsyncWork();
    assert.equal(timed.ended(), true);

    const stop = new AbortController();
    const stopped = startWait(60_000, stop.signal);
    await flushAsyncWork();
    stop.abort();
    await flushAsyncWork();
    assert.equal(stopped.ended(), true);

    sut.admit('s1');
    const busy = startWait(60_000);
    await flushAsyncWork();
    assert.equal(busy.ended(), true, 'a dirty stream: no wait');
  });
});
