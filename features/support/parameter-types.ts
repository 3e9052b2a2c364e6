import { defineParameterType } from '@cucumber/cucumber';
import { parseDuration } from '../../src/domain/duration';

/** `{duration}`: `250 ms`, `2 s`, `PT2S`, `1.5s`. Becomes milliseconds. */
defineParameterType({
  name: 'duration',
  regexp: /(\d+(?:\.\d+)?) ?(ms|s|min)\b|(P[0-9A-Z.]+)/,
  transformer(value?: string, unit?: string, iso?: string): number {
    if (iso) return parseDuration(iso);
    const n = Number(value);
    return unit === 'ms' ? n : unit === 'min' ? n * 60_000 : n * 1000;
  },
});
