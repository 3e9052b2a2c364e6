import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGoDuration, parseDuration } from '../../../src/domain/duration';
import { WorkflowError } from '../../../src/domain/workflow-error';

describe('parseDuration', () => {
  const cases: [unknown, number][] = [
    ['PT2S', 2000],
    ['P1DT2H', 26 * 3_600_000],
    ['PT0.5S', 500],
    ['PT1M30S', 90_000],
    ['P1W', 7 * 86_400_000],
    [{ seconds: 2, milliseconds: 500 }, 2500],
    [{ days: 1 }, 86_400_000],
    ['300ms', 300],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h0m0s', 7_200_000],
    ['0', 0],
    ['250us', 0.25],
  ];
  for (const [input, ms] of cases) {
    it(`parses ${JSON.stringify(input)} as ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  for (const bad of ['', 'two seconds', 'P1Y', 'P1M', 'PT', '5', '1.5', '-1s', 'PTS', {}, { weeks: 1 }, { seconds: -1 }, 5, null, []]) {
    it(`rejects ${JSON.stringify(bad)} with a validation error`, () => {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof WorkflowError && e.kind === 'validation' && e.code === 'INVALID_DURATION',
      );
    });
  }
});

describe('formatGoDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [300, '300ms'],
    [301.25, '301.25ms'],
    [1500, '1.5s'],
    [2000, '2s'],
    [90_000, '1m30s'],
    [7_200_000, '2h0m0s'],
    [0.5, '500µs'],
  ];
  for (const [ms, text] of cases) it(`formats ${ms} ms as ${text}`, () => assert.equal(formatGoDuration(ms), text));
});
