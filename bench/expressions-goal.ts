/**
 * The cost of one runtime expression, before and after expressions left the event loop:
 * - in-process jq (jq-wasm called synchronously on the main thread: the previous design, the baseline);
 * - the in-process path evaluator (plain lookups such as `.input.id`);
 * - the worker pool (every other expression), sequentially and with 16 batches in flight.
 * "main-thread µs" is event-loop busy time per expression (what every other task waits for);
 * a pooled expression's jq work runs on another core.
 */
import { performance } from 'node:perf_hooks';
import { loadJq } from 'jq-wasm';
import { PooledJqExpressionEvaluator } from '../src/adapters/jq/pooled-jq-expression-evaluator';
import { ExpressionEvaluator } from '../src/application/ports/expression-evaluator.port';
import { resolveTemplate } from '../src/application/resolve-template';
import { summarize } from './lib/stats';

export interface ExpressionGoalContext {
  quick: boolean;
  rows: { goal: string; metric: string; executor: string; baseline: string; ratio: string; target: string; met: string }[];
  notes: string[];
  log(message: string): void;
}

const scope = {
  input: { id: 42, items: Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, price: i * 1.5, qty: i % 3 })) },
  variables: { customer: { name: 'Ada', tier: 'gold' } },
  task_outputs: {},
  workflow_input: {},
  context: {},
};
const variables = { workflow: { id: 'wf_1' }, task: { name: 'bench', id: 'task-bench-1' } };
const PATH = '.input.id';
const REAL = '.input.items | map(.price * .qty) | add';

/** Main-thread busy time (ms) and wall time (ms) of `work`. */
async function measure(work: () => Promise<void> | void): Promise<{ busyMs: number; wallMs: number }> {
  const elu = performance.eventLoopUtilization();
  const t = performance.now();
  await work();
  const wallMs = performance.now() - t;
  const used = performance.eventLoopUtilization(elu);
  // Synchronous work never yields: the whole wall time is busy.
  return { busyMs: Math.max(used.active, 0) || wallMs, wallMs };
}

export async function runExpressionGoal(ctx: ExpressionGoalContext): Promise<void> {
  const n = ctx.quick ? 1_000 : 4_000;
  const jq = await loadJq();
  const pool = new PooledJqExpressionEvaluator();
  const neverCalled: ExpressionEvaluator = { evaluate: () => Promise.reject(new Error('a plain path must not reach jq')), close: () => Promise.resolve() };
  const flags = ['-c', ...Object.entries(variables).flatMap(([k, v]) => ['--argjson', k, JSON.stringify(v)])];
  const inProcess = (expression: string): unknown => jq.json(scope, expression, flags)[0];
  const template = (expression: string): string => `\${ ${expression} }`;
  const limits = { timeoutMs: 5_000 };
  try {
    // Warm up every path (and start the pool's first worker).
    for (let i = 0; i < 50; i++) {
      inProcess(REAL);
      await resolveTemplate(neverCalled, template(PATH), { layers: [scope], variables }, limits);
      await resolveTemplate(pool, template(REAL), { layers: [scope], variables }, limits);
    }

    const inPath = await measure(() => {
      for (let i = 0; i < n; i++) inProcess(PATH);
    });
    const fast = await measure(async () => {
      for (let i = 0; i < n; i++) await resolveTemplate(neverCalled, template(PATH), { layers: [scope], variables }, limits);
    });
    const inReal = await measure(() => {
      for (let i = 0; i < n; i++) inProcess(REAL);
    });
    const pooledSequential = await measure(async () => {
      for (let i = 0; i < n; i++) await resolveTemplate(pool, template(REAL), { layers: [scope], variables }, limits);
    });
    const inFlight = 16;
    const pooledConcurrent = await measure(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next++ < n) await resolveTemplate(pool, template(REAL), { layers: [{ ...scope }], variables }, limits);
        }),
      );
    });

    // Isolation: latency of ordinary expressions while a runaway one occupies a worker.
    const runaway = pool.evaluate(['def f: f; f'], { layers: [scope], variables }, { timeoutMs: 2_000 }).catch(() => undefined);
    const latencies: number[] = [];
    const started = performance.now();
    while (performance.now() - started < 1_500) {
      const t = performance.now();
      await resolveTemplate(pool, template(REAL), { layers: [scope], variables }, limits);
      latencies.push(performance.now() - t);
    }
    await runaway;
    const beside = summarize(latencies);

    const us = (ms: number): string => `${((ms * 1000) / n).toFixed(1)} µs`;
    const ratio = (a: number, b: number): string => (a / b).toFixed(2);
    ctx.rows.push(
      { goal: 'expr', metric: `\`${PATH}\`, main-thread µs`, executor: us(fast.busyMs), baseline: us(inPath.busyMs), ratio: ratio(fast.busyMs, inPath.busyMs), target: '< 1', met: fast.busyMs < inPath.busyMs ? 'yes' : 'no' },
      { goal: 'expr', metric: `\`${REAL}\`, main-thread µs (1 in flight)`, executor: us(pooledSequential.busyMs), baseline: us(inReal.busyMs), ratio: ratio(pooledSequential.busyMs, inReal.busyMs), target: '< 1', met: pooledSequential.busyMs < inReal.busyMs ? 'yes' : 'no' },
      { goal: 'expr', metric: `same, wall µs per expression (1 in flight)`, executor: us(pooledSequential.wallMs), baseline: us(inReal.wallMs), ratio: ratio(pooledSequential.wallMs, inReal.wallMs), target: '—', met: '—' },
      { goal: 'expr', metric: `same, main-thread µs (${inFlight} in flight)`, executor: us(pooledConcurrent.busyMs), baseline: us(inReal.busyMs), ratio: ratio(pooledConcurrent.busyMs, inReal.busyMs), target: '< 1', met: pooledConcurrent.busyMs < inReal.busyMs ? 'yes' : 'no' },
      { goal: 'expr', metric: `same, expressions/s (${inFlight} in flight)`, executor: ((n * 1000) / pooledConcurrent.wallMs).toFixed(0), baseline: ((n * 1000) / inReal.wallMs).toFixed(0), ratio: ratio(inReal.wallMs, pooledConcurrent.wallMs), target: '—', met: '—' },
      { goal: 'expr', metric: 'p99 ms of pooled expressions beside a runaway one', executor: beside.p99.toFixed(1), baseline: '(in-process: blocked)', ratio: '', target: '< 50', met: beside.p99 < 50 ? 'yes' : 'no' },
    );
    ctx.notes.push(`expressions: ${n} evaluations per measurement; workers started ${pool.workersStarted}; ${latencies.length} expressions ran beside the runaway one (max ${beside.max.toFixed(1)} ms)`);
  } finally {
    await pool.close();
  }
}
