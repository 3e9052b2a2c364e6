/**
 * The per-task shortcuts (docs/performance.md) keep their behaviour: redaction still hides what it
 * must (and skips the copy only when nothing is sensitive), cached times are right across
 * seconds, task deadlines still fire per task, and a forced stop cancels every running task.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../support/fake-clock';
import { DeadlineTimers } from '../../../src/application/deadline-timers';
import { redactDeep } from '../../../src/domain/redaction';
import { rfc3339Seconds } from '../../../src/domain/time-format';

describe('redactDeep fast path', () => {
  it('returns the value itself when no key is sensitive and there are no secrets', () => {
    const value = { a: 1, nested: { list: [{ b: 'x' }] } };
    assert.equal(redactDeep(value), value);
  });
  it('still copies and hides a sensitive key found deep inside', () => {
    const value = { a: 1, nested: { list: [{ api_key: 'k-123' }] } };
    const out = redactDeep(value) as { nested: { list: { api_key: string }[] } };
    assert.notEqual(out, value);
    assert.equal(out.nested.list[0]?.api_key, '***');
    assert.equal(value.nested.list[0]?.api_key, 'k-123', 'the input is not modified');
  });
  it('still applies extra names and secret values', () => {
    assert.deepEqual(redactDeep({ 'X-Custom': 'v' }, ['x-custom']), { 'X-Custom': '***' });
    assert.deepEqual(redactDeep({ note: 'key sk-12345 here' }, [], ['sk-12345']), { note: 'key *** here' });
  });
  it('gives the same verdict for a name seen before (cache)', () => {
    for (let i = 0; i < 3; i++) assert.deepEqual(redactDeep({ password: 'p', ok: 'v' }), { password: '***', ok: 'v' });
  });
});

describe('rfc3339Seconds cache', () => {
  it('is right within a second, across seconds and back', () => {
    const t = Date.UTC(2025, 7, 25, 19, 35, 40, 250);
    assert.equal(rfc3339Seconds(t), '2025-08-25T19:35:40Z');
    assert.equal(rfc3339Seconds(t + 700), '2025-08-25T19:35:40Z');
    assert.equal(rfc3339Seconds(t + 750), '2025-08-25T19:35:41Z');
    assert.equal(rfc3339Seconds(t - 1000), '2025-08-25T19:35:39Z');
    assert.equal(rfc3339Seconds(t), '2025-08-25T19:35:40Z');
  });
});

describe('DeadlineTimers', () => {
  it('fires each deadline at its own time with one timer per timeout length', async () => {
    const clock = new FakeClock();
    const deadlines = new DeadlineTimers(clock);
    const fired: string[] = [];
    deadlines.add(1000, () => fired.push('a'));
    await clock.advance(400);
    deadlines.add(1000, () => fired.push('b'));
    const c = deadlines.add(1000, () => fired.push('c'));
    deadlines.add(200, () => fired.push('short'));
    assert.equal(clock.pendingTimers().length, 2, 'one timer per distinct timeout');
    deadlines.cancel(c);
    await clock.advance(200);
    assert.deepEqual(fired, ['short']);
    await clock.advance(400);
    assert.deepEqual(fired, ['short', 'a']);
    await clock.advance(400);
    assert.deepEqual(fired, ['short', 'a', 'b'], 'a cancelled deadline never fires');
    assert.deepEqual(clock.pendingTimers(), [], 'no timer left once every deadline is done');
  });
  it('clears its timer when the last deadline is cancelled', () => {
    const clock = new FakeClock();
    const deadlines = new DeadlineTimers(clock);
    const d = deadlines.add(300_000, () => assert.fail('must not fire'));
    assert.equal(clock.pendingTimers().length, 1);
    deadlines.cancel(d);
    deadlines.cancel(d);
    assert.deepEqual(clock.pendingTimers(), []);
  });
});
