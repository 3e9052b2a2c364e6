import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fairShares, parseTenantShares, priorityOf, shareOf, TenantShare } from '../../../src/domain/fair-share';

describe('parseTenantShares', () => {
  it('reads weights, caps and the entry for every other tenant', () => {
    const table = parseTenantShares('acme=3, beta=1:cap=4 ,*=2:cap=10');
    assert.deepEqual(shareOf(table, 'acme'), { weight: 3, cap: undefined });
    assert.deepEqual(shareOf(table, 'beta'), { weight: 1, cap: 4 });
    assert.deepEqual(shareOf(table, 'gamma'), { weight: 2, cap: 10 });
  });

  it('gives every tenant weight 1 and no cap when empty', () => {
    assert.deepEqual(shareOf(parseTenantShares(''), 'any'), { weight: 1, cap: undefined });
  });

  for (const [text, message] of [
    ['acme', /entry "acme": expected tenant=weight/],
    ['acme=0', /the weight must be an integer from 1 to 1000, got "0"/],
    ['acme=1.5', /the weight must be an integer/],
    ['acme=2:cap=x', /the cap must be an integer from 1 to 10000, got "x"/],
    ['acme=2:limit=3', /unknown option "limit=3"/],
    ['acme=1,acme=2', /tenant "acme" is listed twice/],
    ['*=1,*=2', /"\*" is listed twice/],
    ['a b=1', /"a b" is not a tenant id/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} naming the problem`, () => {
      assert.throws(() => parseTenantShares(text), message);
    });
  }
});

describe('priorityOf', () => {
  it('takes 1 to 5 and gives 3 for anything else', () => {
    assert.equal(priorityOf('1'), 1);
    assert.equal(priorityOf(' 5 '), 5);
    for (const bad of [undefined, '', '0', '6', 'high', '2.5', '-1']) assert.equal(priorityOf(bad), 3, String(bad));
  });
});

describe('fairShares', () => {
  const t = (weight: number, cap?: number): TenantShare => ({ weight, cap });

  it('divides the slots in proportion to the weights', () => {
    assert.deepEqual(fairShares(new Map([['a', t(3)], ['b', t(1)]]), 8), new Map([['a', 6], ['b', 2]]));
  });

  it('holds a capped tenant at its cap and gives the rest to the others', () => {
    assert.deepEqual(fairShares(new Map([['a', t(1, 1)], ['b', t(1)], ['c', t(2)]]), 10), new Map([['a', 1], ['b', 3], ['c', 6]]));
  });

  it('gives a single tenant every slot', () => {
    assert.deepEqual(fairShares(new Map([['a', t(1)]]), 10), new Map([['a', 10]]));
  });
});
