import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantHolds } from '../../../src/domain/tenant-holds';

describe('TenantHolds', () => {
  it('refuses a tenant a new entry while it runs calls on all it may hold, and changes nothing then', () => {
    const holds = new TenantHolds(2);
    assert.deepEqual(holds.begin('a', 'x'), []);
    assert.deepEqual(holds.begin('a', 'y'), []);
    assert.equal(holds.begin('a', 'z'), undefined);
    assert.equal(holds.held('a'), 2);
    assert.deepEqual(holds.begin('a', 'x'), [], 'an entry it holds is never refused');
    assert.deepEqual(holds.begin('b', 'z'), [], 'another tenant is not affected');
  });

  it('lets go of the least recently used idle entry, which is to be closed only when no other tenant holds it', () => {
    const holds = new TenantHolds(2);
    holds.begin('a', 'x');
    holds.begin('a', 'y');
    holds.begin('b', 'y');
    holds.end('a', 'x');
    holds.end('a', 'y');
    holds.begin('a', 'x');
    holds.end('a', 'x');
    // y is the least recently used of a's: a lets go of it, but b still holds it.
    assert.deepEqual(holds.begin('a', 'z'), []);
    assert.equal(holds.busy('y'), true, 'b still runs a call on y');
    holds.end('b', 'y');
    holds.begin('a', 'y');
    holds.end('a', 'y');
    holds.end('a', 'z');
    // a holds z and y (x released): z is its least recently used.
    assert.deepEqual(holds.begin('a', 'w'), ['z']);
    assert.equal(holds.held('a'), 2);
  });

  it('forgets a closed entry for every tenant holding it', () => {
    const holds = new TenantHolds(1);
    holds.begin('a', 'x');
    holds.begin('b', 'x');
    holds.end('a', 'x');
    holds.end('b', 'x');
    assert.equal(holds.busy('x'), false);
    holds.forget('x');
    assert.deepEqual([holds.held('a'), holds.held('b')], [0, 0]);
    assert.deepEqual(holds.begin('a', 'y'), []);
  });

  it('takes a share of at least one', () => {
    assert.throws(() => new TenantHolds(0), RangeError);
  });
});
