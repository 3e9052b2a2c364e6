import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketShape, gcraPushBack, gcraReserve, parseHostRateRules, parseRate, retryAfterMs, ruleFor } from '../../../src/domain/rate-limit';

const NOW = Date.UTC(2025, 7, 25, 19, 35, 40);

describe('rates', () => {
  it('reads calls per period in the usual units', () => {
    assert.deepEqual(parseRate('10/s'), { count: 10, periodMs: 1000, text: '10/s' });
    assert.deepEqual(parseRate(' 100 / m '), { count: 100, periodMs: 60_000, text: '100/m' });
    assert.deepEqual(parseRate('5/10s'), { count: 5, periodMs: 10_000, text: '5/10s' });
    assert.deepEqual(parseRate('1000/H'), { count: 1000, periodMs: 3_600_000, text: '1000/h' });
    assert.deepEqual(parseRate('1/250ms'), { count: 1, periodMs: 250, text: '1/250ms' });
  });

  it('refuses what is not a rate, with the reason', () => {
    assert.throws(() => parseRate('10'), /is not a rate: expected calls\/period/);
    assert.throws(() => parseRate('0/s'), /count must be from 1/);
    assert.throws(() => parseRate('10/d'), /is not a rate/);
    assert.throws(() => parseRate('1/25h'), /period must be from 1 ms to 24 h/);
    assert.throws(() => parseRate('-1/s'), /is not a rate/);
  });
});

describe('the operator table (CALL_RATE_LIMITS)', () => {
  it('reads patterns, rates and options separated by semicolons', () => {
    const rules = parseHostRateRules('api.example.com=10/s; *.stripe.com=100/m:burst=20;*=50/s:per-host:per-tenant; localhost:8080=1/s');
    assert.deepEqual(
      rules.map((r) => [r.pattern, r.rate.text, r.burst, r.perHost, r.perTenant]),
      [
        ['api.example.com', '10/s', 1, false, false],
        ['*.stripe.com', '100/m', 20, false, false],
        ['*', '50/s', 1, true, true],
        ['localhost:8080', '1/s', 1, false, false],
      ],
    );
    assert.deepEqual(parseHostRateRules(''), []);
  });

  it('names the bad entry', () => {
    assert.throws(() => parseHostRateRules('api.example.com'), /entry "api.example.com": expected pattern=rate/);
    assert.throws(() => parseHostRateRules('api.*.com=1/s'), /is not a host pattern/);
    assert.throws(() => parseHostRateRules('(a|b)+=1/s'), /is not a host pattern/);
    assert.throws(() => parseHostRateRules('a.com=1/s;A.com=2/s'), /given twice/);
    assert.throws(() => parseHostRateRules('a.com=1/s:burst=0'), /the burst must be an integer from 1/);
    assert.throws(() => parseHostRateRules('a.com=1/s:fast'), /unknown option "fast"/);
    assert.throws(() => parseHostRateRules('a.com=fast'), /entry "a.com=fast": "fast" is not a rate/);
  });

  it('finds the most specific rule: exact with port, exact, longest suffix, then *', () => {
    const rules = parseHostRateRules('*=1/s; *.example.com=2/s; *.eu.example.com=3/s; api.example.com=4/s; api.example.com:8443=5/s');
    const pick = (name: string, port = 443): string | undefined => ruleFor(rules, { name, port })?.pattern;
    assert.equal(pick('api.example.com', 8443), 'api.example.com:8443');
    assert.equal(pick('api.example.com'), 'api.example.com');
    assert.equal(pick('x.eu.example.com'), '*.eu.example.com');
    assert.equal(pick('a.b.example.com'), '*.example.com', 'a suffix pattern covers names at any depth');
    assert.equal(pick('example.com'), '*', 'but not the domain itself');
    assert.equal(pick('evilexample.com'), '*', 'a suffix matches whole labels only');
    assert.equal(ruleFor(parseHostRateRules('a.com=1/s'), { name: 'b.com', port: 443 }), undefined);
  });
});

describe('GCRA', () => {
  const shape = bucketShape(parseRate('2/s'), 1);

  it('spaces calls one interval apart, and refuses a slot beyond the wait allowed without taking it', () => {
    let tat: number | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = gcraReserve(tat, NOW, shape, 10_000);
      assert.equal(r.reservation.granted, true);
      if (r.reservation.granted) waits.push(r.reservation.waitMs);
      tat = r.tat;
    }
    assert.deepEqual(waits, [0, 500, 1000]);
    const refused = gcraReserve(tat, NOW, shape, 1499);
    assert.deepEqual(refused.reservation, { granted: false, retryAfterMs: 1500 });
    assert.equal(refused.tat, tat, 'a refusal leaves the bucket as it was');
  });

  it('lets a burst go at once after a quiet time', () => {
    const burst = bucketShape(parseRate('10/s'), 3);
    let tat: number | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = gcraReserve(tat, NOW, burst, 10_000);
      if (r.reservation.granted) waits.push(r.reservation.waitMs);
      tat = r.tat;
    }
    assert.deepEqual(waits, [0, 0, 0, 100]);
  });

  it('a push-back lets no slot go before its time, and never shortens a longer one', () => {
    const pushed = gcraPushBack(undefined, NOW + 5000, shape);
    const r = gcraReserve(pushed, NOW, shape, 60_000);
    assert.deepEqual(r.reservation, { granted: true, waitMs: 5000 });
    assert.equal(gcraPushBack(NOW + 9000, NOW + 5000, shape), NOW + 9000);
  });
});

describe('Retry-After', () => {
  it('reads delay seconds and HTTP dates, and ignores anything else', () => {
    assert.equal(retryAfterMs('5', NOW), 5000);
    assert.equal(retryAfterMs('0', NOW), 0);
    assert.equal(retryAfterMs(new Date(NOW + 7000).toUTCString(), NOW), 7000);
    assert.equal(retryAfterMs(new Date(NOW - 7000).toUTCString(), NOW), undefined, 'a date in the past');
    assert.equal(retryAfterMs('soon', NOW), undefined);
    assert.equal(retryAfterMs('-3', NOW), undefined);
    assert.equal(retryAfterMs('1.5', NOW), undefined);
    assert.equal(retryAfterMs(undefined, NOW), undefined);
    assert.equal(retryAfterMs('x'.repeat(10_000), NOW), undefined);
  });
});
