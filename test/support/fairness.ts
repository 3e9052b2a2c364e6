/**
 * The fair-dispatch scenario both backends' e2e tests run (the issue's table, second row): with
 * EXECUTOR_CONCURRENCY=10, a busy tenant's 2 s `wait` tasks hold every slot, and a small tenant turns
 * up mid-wave sending 40 `set` tasks at 4 per second. Its figures and its verdict.
 */
import assert from 'node:assert/strict';

export const CONCURRENCY = 10;
export const WAIT_S = 2;
export const BUSY_TASKS = 250;
export const SMALL_TASKS = 40;
export const SMALL_EVERY_MS = 250;
/** When the small tenant starts sending, after the busy backlog: every slot is taken by then, mid-wave. */
export const SMALL_STARTS_AFTER_MS = 900;
/** Long enough for ten full waves of 2 s tasks, with margin for the last one. */
export const WINDOW_MS = 21_000;

/** One measurement: the busy tenant's completions per second in the window, the small tenant's latencies (sorted, Infinity when never completed). */
export interface FairnessRun {
  busyPerSecond: number;
  small: number[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The small tenant's latencies, sorted: each request's completion time minus its request time. */
export function latencies(requested: ReadonlyMap<string, number>, completed: ReadonlyMap<string, number>): number[] {
  const out: number[] = [];
  for (const [taskId, at] of requested) out.push((completed.get(taskId) ?? Infinity) - at);
  return out.sort((a, b) => a - b);
}

/** Prints the figures line (`<label>: small p50=…`) and asserts: small p99 < 1 s, busy ≥ 80 % of its throughput alone. */
export function assertFair(label: string, run: FairnessRun, alone: FairnessRun): void {
  const p50 = percentile(run.small, 50);
  const p99 = percentile(run.small, 99);
  const ratio = run.busyPerSecond / alone.busyPerSecond;
  const ideal = CONCURRENCY / WAIT_S;
  process.stdout.write(
    `${label}: small p50=${p50.toFixed(0)}ms p99=${p99.toFixed(0)}ms completed=${run.small.filter(Number.isFinite).length}/${SMALL_TASKS} ` +
      `busy throughput=${run.busyPerSecond.toFixed(2)}/s alone=${alone.busyPerSecond.toFixed(2)}/s ideal=${ideal.toFixed(2)}/s ratio=${ratio.toFixed(2)}\n`,
  );
  assert.equal(run.small.length, SMALL_TASKS);
  assert.ok(p99 < 1000, `small tenant p99 ${p99} ms, expected < 1000 ms`);
  assert.ok(ratio >= 0.8, `busy tenant throughput ${run.busyPerSecond.toFixed(2)}/s is ${ratio.toFixed(2)} of its ${alone.busyPerSecond.toFixed(2)}/s alone, expected ≥ 0.80`);
}
