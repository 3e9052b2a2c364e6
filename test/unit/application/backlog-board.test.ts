import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BacklogTally } from '../../../src/application/activity/backlog-board';
import { InMemoryBacklog } from '../../../src/adapters/memory/in-memory-backlog';
import { InMemoryStreamBroker } from '../../../src/adapters/memory/in-memory-stream-broker';
import { FakeClock } from '../../support/fake-clock';

describe('the backlog tally', () => {
  it('keeps the busiest locations, busiest first, and the totals of all of them', () => {
    const tally = new BacklogTally(3);
    const loads = [5, 0, 9, 1, 7, 3, 0, 12];
    loads.forEach((n, i) => tally.add({ location: `q${i}`, undelivered: n, pending: i % 2 }));
    const snapshot = tally.snapshot(1000);
    assert.deepEqual(snapshot.busiest.map((b) => b.location), ['q7', 'q2', 'q4']);
    assert.equal(snapshot.locations, 8);
    assert.deepEqual(snapshot.totals, { undelivered: 37, pending: 4 });
    assert.equal(snapshot.at, 1000);
  });
  it('leaves idle locations out', () => {
    const tally = new BacklogTally();
    tally.add({ location: 'idle', undelivered: 0, pending: 0 });
    assert.deepEqual(tally.snapshot(0).busiest, []);
  });
});

describe('the in-process stream’s backlog', () => {
  it('counts what the group has not received and what it has not acknowledged, per stream', () => {
    const clock = new FakeClock();
    const broker = new InMemoryStreamBroker(clock);
    for (let i = 0; i < 3; i++) broker.append('a', { n: String(i) });
    broker.append('b', { n: '0' });
    const group = broker.group('a', 'g');
    group.nextIndex = 2;
    group.pending.set('1-0', { consumer: 'c', deliveryCount: 1, lastDeliveredAt: 0 });
    const snapshot = new InMemoryBacklog(broker, 'g', clock).backlog();
    assert.deepEqual(snapshot.busiest, [
      { location: 'a', undelivered: 1, pending: 1 },
      { location: 'b', undelivered: 1, pending: 0 },
    ]);
    assert.deepEqual(snapshot.totals, { undelivered: 2, pending: 1 });
  });
});
