/**
 * `npm run bench [-- --quick] [-- --only=1,2]` (goals: 1-5, tracing, tenants, expr, isolation, cluster, nats, validation, rediscost, scale): the performance suite (docs/performance.md).
 * Starts a private redis-server, runs each workload with the executor and with the ideal
 * baselines in alternating rounds (child processes, one at a time), prints a table and ratios.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { ChildMode, ChildOptions, ChildResult } from './child';
import { startChild } from './lib/child-process';
import { summarizeCpuProfile } from './lib/cpu-profile';
import { BULLMQ_QUEUE, preloadBullmq } from './lib/bullmq-peer';
import { GROUP, preload, setRequestFields, streamKey, taskIdFactory } from './lib/fixtures';
import { commandsPerTask, PrivateRedis, redisCpuSeconds } from './lib/redis-server';
import { median, summarize, table, LatencySummary } from './lib/stats';
import { runExpressionGoal } from './expressions-goal';
import { runFairnessGoal } from './fairness-goal';
import { runHttpGoal } from './http-goal';
import { runGrpcGoal } from './grpc-goal';
import { runIsolationGoal } from './isolation-goal';
import { runNatsGoal } from './nats-goal';
import { runValidationGoal } from './validation-goal';
import { runRedisCost } from './redis-cost';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const wants = (goal: string): boolean => !only || only.has(goal);
/** `--profile`: CPU-profile the executor's rounds of goals 1-4 and print where the time went. */
const profileDir = process.argv.includes('--profile') ? fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-bench-prof-')) : undefined;

const SIZES = quick
  ? { drainTasks: 20_000, drainRounds: 2, latencySeconds: 3, latencyRounds: 2, manyStreams: 2_000, manySeconds: 3, memoryBacklog: 100_000, httpSeconds: 2 }
  : { drainTasks: 50_000, drainRounds: 4, latencySeconds: 10, latencyRounds: 2, manyStreams: 10_000, manySeconds: 10, memoryBacklog: 1_000_000, httpSeconds: 5 };

/**
 * BENCH_BEFORE: a compiled bench of other code (e.g. the commit before a change, built with
 * `tsc -p tsconfig.bench.json` in its own checkout); goals 1, 2 and 4 then run its executor too, in
 * the same alternating rounds, as mode `before`.
 */
const BEFORE = process.env['BENCH_BEFORE'] || undefined;

/** A round's label as child options: `before` is the executor of the BENCH_BEFORE build. */
function modeOf(label: string): { mode: ChildMode; build?: string } {
  return label === 'before' ? { mode: 'executor', build: BEFORE } : { mode: label as ChildMode };
}

/** Executor settings used throughout (documented in docs/performance.md). */
export const EXECUTOR_ENV: Record<string, string> = {
  EXECUTOR_CONCURRENCY: process.env['BENCH_CONCURRENCY'] ?? '100',
  EXECUTOR_STREAM_BATCH: '100',
  LOG_LEVEL: 'info',
  HEALTH_PORT: '0',
  METRICS_PORT: '0',
  // BENCH_EXECUTOR_ENV='{"NAME":"value"}': further executor settings for every goal.
  ...(JSON.parse(process.env['BENCH_EXECUTOR_ENV'] ?? '{}') as Record<string, string>),
};

export interface Row {
  goal: string;
  metric: string;
  executor: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
}
const rows: Row[] = [];
const notes: string[] = [];

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Runs one child round; `whileRunning` runs alongside (load, sampling) until `finished()` turns true. */
async function runChild(options: ChildOptions, timeoutMs: number, beforeGo?: () => Promise<void>, whileRunning?: (finished: () => boolean) => Promise<void>): Promise<ChildResult> {
  const child = startChild(options, timeoutMs);
  let finished = false;
  try {
    await child.ready;
    await beforeGo?.();
    child.go();
    const during = whileRunning?.(() => finished);
    const result = await child.done.finally(() => (finished = true));
    await during;
    await child.exited;
    return result;
  } catch (error) {
    child.kill();
    throw error;
  }
}

async function fresh(redis: Redis): Promise<void> {
  await redis.flushall();
}

// ---------------------------------------------------------------------------------------
// Goal 1: backlog drain on one stream.
async function goalDrain(server: PrivateRedis, redis: Redis): Promise<void> {
  const n = SIZES.drainTasks;
  const stream = streamKey('wf_drain');
  const modes: string[] = ['ideal-multi', 'executor', 'ideal-pipe', 'bullmq', ...(BEFORE ? ['before'] : [])];
  const results: Record<string, ChildResult[]> = { 'ideal-multi': [], executor: [], 'ideal-pipe': [], bullmq: [], before: [] };
  const redisCpu: Record<string, number[]> = {};
  for (let round = 0; round < SIZES.drainRounds; round++) {
    // Alternate the order so that neither side always runs first (JIT, page cache, neighbours).
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      await fresh(redis);
      const nextId = taskIdFactory();
      if (mode === 'bullmq') await preloadBullmq(server.url, n, () => setRequestFields('wf_drain', 'ex_drain', nextId()));
      else {
        await preload(redis, stream, n, () => setRequestFields('wf_drain', 'ex_drain', nextId()));
        await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
      }
      await redis.config('RESETSTAT');
      const redisCpu0 = await redisCpuSeconds(redis);
      const profileFile = profileDir && mode === 'executor' ? path.join(profileDir, `executor-${round + 1}.cpuprofile`) : undefined;
      const result = await runChild({ ...modeOf(mode), redisUrl: server.url, streams: [stream], target: n, env: EXECUTOR_ENV, profileFile }, 120_000);
      if (profileFile) log(`${summarizeCpuProfile(profileFile, n)}  (profile: ${profileFile})`);
      const redisUs = (((await redisCpuSeconds(redis)) - redisCpu0) * 1e6) / n;
      const commands = await commandsPerTask(redis, n);
      const check = mode === 'bullmq' ? await bullmqCheck(redis, n) : await drainCheck(redis, stream, n);
      (results[mode] as ChildResult[]).push(result);
      (redisCpu[mode] ??= []).push(redisUs);
      log(`  goal 1 round ${round + 1} ${mode.padEnd(11)} ${fmt((n / result.elapsedMs) * 1000)} tasks/s  node ${fmt((result.cpuMs * 1000) / n, 1)} µs/task  redis ${fmt(redisUs, 1)} µs/task  [${commands}]  ${check}`);
    }
  }
  const rate = (mode: string): number => median((results[mode] ?? []).map((r) => (n / r.elapsedMs) * 1000));
  const cpu = (mode: string): number => median((results[mode] ?? []).map((r) => (r.cpuMs * 1000) / n));
  const exec = rate('executor');
  for (const base of ['ideal-multi', 'ideal-pipe']) {
    const ratio = exec / rate(base);
    rows.push({ goal: '1 drain', metric: `tasks/s vs ${base}`, executor: fmt(exec), baseline: fmt(rate(base)), ratio: fmt(ratio, 2), target: base === 'ideal-multi' ? '≥ 0.95' : '', met: base === 'ideal-multi' ? (ratio >= 0.95 ? 'yes' : 'no') : '' });
  }
  rows.push({ goal: '1 drain', metric: 'Node CPU µs/task', executor: fmt(cpu('executor'), 1), baseline: `${fmt(cpu('ideal-multi'), 1)} multi, ${fmt(cpu('ideal-pipe'), 1)} pipe`, ratio: fmt(cpu('ideal-multi') / cpu('executor'), 2), target: '', met: '' });
  const rcpu = (mode: string): number => median(redisCpu[mode] ?? []);
  const redisRatio = rcpu('executor') / rcpu('ideal-multi');
  rows.push({ goal: '1 drain', metric: 'Redis CPU µs/task (ratio: × ideal-multi)', executor: fmt(rcpu('executor'), 1), baseline: `${fmt(rcpu('ideal-multi'), 1)} multi, ${fmt(rcpu('ideal-pipe'), 1)} pipe`, ratio: fmt(redisRatio, 2), target: '≤ 1.3', met: redisRatio <= 1.3 ? 'yes' : 'no' });
  const perRound = (results['executor'] ?? []).map((r, i) => ((results['ideal-multi'] ?? [])[i]?.elapsedMs ?? NaN) / r.elapsedMs);
  notes.push(`goal 1 per-round ratios executor/ideal-multi: ${perRound.map((x) => fmt(x, 2)).join(', ')}, median ${fmt(median(perRound), 2)} (N=${n}, ${SIZES.drainRounds} rounds)`);
  rows.push({ goal: '1 drain', metric: 'tasks/s vs BullMQ (same concurrency)', executor: fmt(exec), baseline: fmt(rate('bullmq')), ratio: fmt(exec / rate('bullmq'), 2), target: '', met: '' });
  rows.push({ goal: '1 drain', metric: 'Node / Redis CPU µs/task vs BullMQ', executor: `${fmt(cpu('executor'), 1)} / ${fmt(rcpu('executor'), 1)}`, baseline: `${fmt(cpu('bullmq'), 1)} / ${fmt(rcpu('bullmq'), 1)}`, ratio: '', target: '', met: '' });
  if (BEFORE) {
    const beforeRounds = (results['before'] ?? []).map((r, i) => ((results['ideal-multi'] ?? [])[i]?.elapsedMs ?? NaN) / r.elapsedMs);
    notes.push(`goal 1 per-round ratios before/ideal-multi (BENCH_BEFORE): ${beforeRounds.map((x) => fmt(x, 2)).join(', ')}, median ${fmt(median(beforeRounds), 2)}`);
    rows.push({ goal: '1 drain', metric: 'tasks/s, this code vs BENCH_BEFORE', executor: fmt(exec), baseline: fmt(rate('before')), ratio: fmt(exec / rate('before'), 2), target: '', met: '' });
    rows.push({ goal: '1 drain', metric: 'Node / Redis CPU µs/task vs BENCH_BEFORE', executor: `${fmt(cpu('executor'), 1)} / ${fmt(rcpu('executor'), 1)}`, baseline: `${fmt(cpu('before'), 1)} / ${fmt(rcpu('before'), 1)}`, ratio: '', target: '', met: '' });
  }
}

/**
 * Scaling with processes: the drain of goal 1 by 1, 2 and 4 executor processes (consumers of the
 * same group, each with the full settings) on the same Redis; the round ends when every request
 * has its completion (polled), then every process is stopped. Rounds alternate the order.
 */
async function goalScale(server: PrivateRedis, redis: Redis): Promise<void> {
  const n = SIZES.drainTasks;
  const stream = streamKey('wf_scale');
  const counts = [1, 2, 4];
  const rates: Record<number, number[]> = {};
  const cpus: Record<number, number[]> = {};
  const redisCpus: Record<number, number[]> = {};
  for (let round = 0; round < SIZES.drainRounds; round++) {
    for (const k of round % 2 === 0 ? counts : [...counts].reverse()) {
      await fresh(redis);
      const nextId = taskIdFactory();
      await preload(redis, stream, n, () => setRequestFields('wf_scale', 'ex_scale', nextId()));
      await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
      const children = Array.from({ length: k }, (_, i) => startChild({ mode: 'executor', redisUrl: server.url, streams: [stream], target: Number.MAX_SAFE_INTEGER, env: { ...EXECUTOR_ENV, HOSTNAME: `bench-${i}` } }, 180_000));
      try {
        await Promise.all(children.map((c) => c.ready));
        const redisCpu0 = await redisCpuSeconds(redis);
        const t0 = performance.now();
        for (const c of children) c.go();
        // Done when the stream holds a completion per request (each settle appends one).
        while ((await redis.xlen(stream)) < 2 * n) {
          if (performance.now() - t0 > 170_000) throw new Error(`scale round with ${k} processes did not finish`);
          await new Promise((r) => setTimeout(r, 10));
        }
        const elapsedMs = performance.now() - t0;
        const redisUs = (((await redisCpuSeconds(redis)) - redisCpu0) * 1e6) / n;
        for (const c of children) c.stop();
        const results = await Promise.all(children.map((c) => c.done));
        await Promise.all(children.map((c) => c.exited));
        const processed = results.reduce((sum, r) => sum + r.processed, 0);
        const nodeUs = (results.reduce((sum, r) => sum + r.cpuMs, 0) * 1000) / n;
        (rates[k] ??= []).push((n / elapsedMs) * 1000);
        (cpus[k] ??= []).push(nodeUs);
        (redisCpus[k] ??= []).push(redisUs);
        log(`  scale round ${round + 1} ${k} process(es) ${fmt((n / elapsedMs) * 1000)} tasks/s  node ${fmt(nodeUs, 1)} µs/task (all processes)  redis ${fmt(redisUs, 1)} µs/task  processed ${processed} (${results.map((r) => r.processed).join(' + ')})  ${await drainCheck(redis, stream, n)}`);
      } finally {
        for (const c of children) c.kill();
      }
    }
  }
  const one = median(rates[1] ?? []);
  for (const k of counts) {
    const rate = median(rates[k] ?? []);
    rows.push({ goal: 'scale', metric: `${k} executor process(es): tasks/s, Node / Redis µs/task`, executor: `${fmt(rate)}, ${fmt(median(cpus[k] ?? []), 1)} / ${fmt(median(redisCpus[k] ?? []), 1)}`, baseline: k === 1 ? '' : fmt(one), ratio: k === 1 ? '' : fmt(rate / one, 2), target: '', met: '' });
  }
  notes.push(`scale: ${os.cpus().length} cores shared by Redis, every executor process and the rest of the machine (load ${os.loadavg()[0]?.toFixed(1)}); more processes than free cores add contention, not capacity.`);
}

/**
 * Tracing's cost: the same drain with OTEL_TRACES_EXPORTER=none and with every task's span exported
 * (OTLP/HTTP protobuf, batched) to a local receiver that only counts what it gets.
 */
async function goalTracing(server: PrivateRedis, redis: Redis): Promise<void> {
  const n = SIZES.drainTasks;
  const stream = streamKey('wf_traced');
  let received = 0;
  const sink = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const modes = { off: { OTEL_TRACES_EXPORTER: 'none' }, on: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } };
  const results: Record<string, ChildResult[]> = { off: [], on: [] };
  try {
    for (let round = 0; round < SIZES.drainRounds; round++) {
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        await fresh(redis);
        const nextId = taskIdFactory();
        await preload(redis, stream, n, () => setRequestFields('wf_traced', 'ex_traced', nextId()));
        await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
        const result = await runChild({ mode: 'executor', redisUrl: server.url, streams: [stream], target: n, env: { ...EXECUTOR_ENV, ...modes[mode] } }, 120_000);
        results[mode]?.push(result);
        log(`  tracing round ${round + 1} ${mode.padEnd(3)} ${fmt((n / result.elapsedMs) * 1000)} tasks/s  node ${fmt((result.cpuMs * 1000) / n, 1)} µs/task  ${await drainCheck(redis, stream, n)}`);
      }
    }
  } finally {
    sink.close();
  }
  const rate = (mode: string): number => median((results[mode] ?? []).map((r) => (n / r.elapsedMs) * 1000));
  const cpu = (mode: string): number => median((results[mode] ?? []).map((r) => (r.cpuMs * 1000) / n));
  rows.push({ goal: 'tracing', metric: 'tasks/s on vs off', executor: fmt(rate('on')), baseline: fmt(rate('off')), ratio: fmt(rate('on') / rate('off'), 2), target: '', met: '' });
  rows.push({ goal: 'tracing', metric: 'Node CPU µs/task on vs off', executor: fmt(cpu('on'), 1), baseline: fmt(cpu('off'), 1), ratio: fmt(cpu('on') - cpu('off'), 1), target: '', met: '' });
  notes.push(`tracing: the receiver got ${fmt(received / 1024)} KiB of spans; the ratio column of the CPU row is the added µs per task`);
}

/** The cluster drain (bench/cluster-drain.ts) in a process of its own: it starts its own servers. */
async function goalCluster(): Promise<void> {
  const child = spawn(process.execPath, [path.join(__dirname, 'cluster-drain.js'), ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the cluster drain exited with ${code}`);
  const ratio = /cluster drain ratio \(3 primaries \/ single Redis\): (\S+)/.exec(out)?.[1] ?? 'n/a';
  rows.push({ goal: 'cluster drain', metric: 'tasks/s, 3 primaries vs single Redis', executor: '', baseline: '', ratio, target: '', met: '' });
}

/** After a BullMQ drain: every job completed. */
async function bullmqCheck(redis: Redis, n: number): Promise<string> {
  const completed = await redis.zcard(`bull:${BULLMQ_QUEUE}:completed`);
  return completed === n ? 'ok' : `CHECK FAILED: ${completed} jobs completed (expected ${n})`;
}

/** After a drain: every request has one completion and nothing is pending. */
async function drainCheck(redis: Redis, stream: string, n: number): Promise<string> {
  const length = await redis.xlen(stream);
  const pending = (await redis.xpending(stream, GROUP)) as [number, ...unknown[]];
  const ok = length === 2 * n && pending[0] === 0;
  return ok ? 'ok' : `CHECK FAILED: length ${length} (expected ${2 * n}), pending ${pending[0]}`;
}

// ---------------------------------------------------------------------------------------
// Goals 2 and 3: steady load, latency from request XADD to completion XADD (Redis entry ids).
interface LoadResult {
  commands: string;
  latency: LatencySummary;
  lost: number;
  duplicates: number;
  redisCpuPct: number;
  consumerCpuPct: number;
  sendRate: number;
}

async function steadyLoad(server: PrivateRedis, redis: Redis, mode: string, streams: string[], seconds: number, rate: number, fixedStreams: boolean, label: string): Promise<LoadResult> {
  const total = Math.round(seconds * rate);
  const profileFile = profileDir && mode === 'executor' ? path.join(profileDir, `${label}.cpuprofile`) : undefined;
  const nextId = taskIdFactory();
  const producer = server.client();
  let cpu0 = 0;
  let cpuSeconds = 0;
  let loadMs = 0;
  let sendRate = 0;
  const result = await runChild(
    { ...modeOf(mode), redisUrl: server.url, streams: fixedStreams ? streams : [], target: total, env: { ...EXECUTOR_ENV, ...(fixedStreams ? {} : { EXECUTOR_STREAMS: '' }) }, profileFile },
    60_000 + seconds * 3000,
    undefined,
    async () => {
      // Let the consumer connect, find its streams and create its groups before the clock starts.
      await new Promise((r) => setTimeout(r, 1500 + (fixedStreams ? 0 : streams.length / 2)));
      await redis.config('RESETSTAT');
      cpu0 = await redisCpuSeconds(redis);
      const t0 = performance.now();
      let sent = 0;
      const writes: Promise<unknown>[] = [];
      while (sent < total && performance.now() - t0 < seconds * 1000 + 5000) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
        for (; sent < due; sent++) {
          const wf = streams[sent % streams.length] as string;
          const workflowId = /workflow:([^:]+):events$/.exec(wf)?.[1] ?? 'wf';
          writes.push(producer.xadd(wf, '*', ...setRequestFields(workflowId, `ex_${workflowId}`, nextId())));
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      sendRate = (sent / (performance.now() - t0)) * 1000;
      await Promise.all(writes);
      loadMs = performance.now() - t0;
    },
  ).catch((error: unknown) => {
    producer.disconnect();
    throw error;
  });
  cpuSeconds = (await redisCpuSeconds(redis)) - cpu0;
  if (profileFile) log(`${summarizeCpuProfile(profileFile, total)}  (profile: ${profileFile})`);
  const commands = await commandsPerTask(redis, total);
  producer.disconnect();
  const { latencies, lost, duplicates } = await latenciesOf(redis, streams);
  return {
    commands,
    latency: summarize(latencies),
    lost: lost + Math.max(0, total - latencies.length - lost),
    duplicates,
    redisCpuPct: (cpuSeconds / ((result.elapsedMs || loadMs) / 1000)) * 100,
    consumerCpuPct: (result.cpuMs / result.elapsedMs) * 100,
    sendRate,
  };
}

/** Matches each request to its completion by task id; latency = difference of their entry-id times (ms). */
async function latenciesOf(redis: Redis, streams: string[]): Promise<{ latencies: number[]; lost: number; duplicates: number }> {
  const requested = new Map<string, number>();
  const completed = new Map<string, number>();
  let duplicates = 0;
  for (let i = 0; i < streams.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const stream of streams.slice(i, i + 500)) pipeline.xrange(stream, '-', '+');
    const replies = (await pipeline.exec()) ?? [];
    for (const [, entries] of replies) {
      for (const [id, flat] of entries as [string, string[]][]) {
        const fields: Record<string, string> = {};
        for (let k = 0; k + 1 < flat.length; k += 2) fields[flat[k] as string] = flat[k + 1] as string;
        const ms = Number(id.split('-')[0]);
        const taskId = fields['taskid'] ?? '';
        if (fields['type'] === 'io.flunq.task.requested') requested.set(taskId, ms);
        if (fields['type'] === 'io.flunq.task.completed') {
          if (completed.has(taskId)) duplicates++;
          else completed.set(taskId, ms);
        }
      }
    }
  }
  const latencies: number[] = [];
  let lost = 0;
  for (const [taskId, at] of requested) {
    const done = completed.get(taskId);
    if (done === undefined) lost++;
    else latencies.push(done - at);
  }
  return { latencies, lost, duplicates };
}

async function goalLatency(server: PrivateRedis, redis: Redis): Promise<void> {
  const stream = streamKey('wf_latency');
  const all: Record<string, LoadResult[]> = { executor: [], 'ideal-multi': [], before: [] };
  const modes = ['executor', 'ideal-multi', ...(BEFORE ? ['before'] : [])];
  for (let round = 0; round < SIZES.latencyRounds; round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      await fresh(redis);
      await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
      const r = await steadyLoad(server, redis, mode, [stream], SIZES.latencySeconds, 1000, true, `latency-${round + 1}`);
      (all[mode] as LoadResult[]).push(r);
      log(`  goal 2 round ${round + 1} ${mode.padEnd(11)} p50 ${r.latency.p50} p90 ${r.latency.p90} p99 ${r.latency.p99} max ${r.latency.max} ms  lost ${r.lost} dup ${r.duplicates}  consumer CPU ${fmt(r.consumerCpuPct)} %  redis CPU ${fmt(r.redisCpuPct)} %  sent ${fmt(r.sendRate)}/s  [${r.commands}]`);
    }
  }
  const worst = (mode: string, key: keyof LatencySummary): number => Math.max(...(all[mode] ?? []).map((r) => r.latency[key]));
  const lost = (all['executor'] ?? []).reduce((s, r) => s + r.lost, 0);
  const p99 = worst('executor', 'p99');
  rows.push({ goal: '2 latency 1 stream', metric: 'p50 / p99 / max ms', executor: `${worst('executor', 'p50')} / ${p99} / ${worst('executor', 'max')}`, baseline: `${worst('ideal-multi', 'p50')} / ${worst('ideal-multi', 'p99')} / ${worst('ideal-multi', 'max')}`, ratio: '', target: 'p99 ≤ ideal + 1', met: p99 <= worst('ideal-multi', 'p99') + 1 ? 'yes' : 'no' });
  if (BEFORE) rows.push({ goal: '2 latency 1 stream', metric: 'p50 / p99 / max ms, BENCH_BEFORE', executor: `${worst('before', 'p50')} / ${worst('before', 'p99')} / ${worst('before', 'max')}`, baseline: '', ratio: '', target: '', met: '' });
  rows.push({ goal: '2 latency 1 stream', metric: 'lost tasks', executor: String(lost), baseline: '', ratio: '', target: '0', met: lost === 0 ? 'yes' : 'no' });
  notes.push('goal 2/3 latencies are differences of Redis entry-id timestamps (ms resolution, ±1 ms); worst round shown.');
}

async function goalManyStreams(server: PrivateRedis, redis: Redis): Promise<void> {
  const count = SIZES.manyStreams;
  const streams = Array.from({ length: count }, (_, i) => streamKey(`wf_${String(i).padStart(5, '0')}`));
  const results: Record<string, LoadResult> = {};
  for (const mode of ['executor', 'naive', ...(BEFORE ? ['before'] : [])]) {
    await fresh(redis);
    // Each workflow stream already exists (its execution.started entry) with the executor's group.
    for (let i = 0; i < count; i += 1000) {
      const pipeline = redis.pipeline();
      for (const stream of streams.slice(i, i + 1000)) {
        pipeline.xadd(stream, '*', 'id', 'execution-started', 'source', 'io.flunq.api', 'specversion', '1.0', 'type', 'io.flunq.execution.started', 'time', new Date().toISOString());
        pipeline.xgroup('CREATE', stream, GROUP, '$');
      }
      await pipeline.exec();
    }
    const r = await steadyLoad(server, redis, mode, streams, SIZES.manySeconds, 1000, false, 'many-streams');
    results[mode] = r;
    log(`  goal 3 ${mode.padEnd(9)} ${count} streams: p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms max ${r.latency.max} ms  redis CPU ${fmt(r.redisCpuPct)} %  consumer CPU ${fmt(r.consumerCpuPct)} %  lost ${r.lost}  [${r.commands}]`);
  }
  const e = results['executor'] as LoadResult;
  const b = results['naive'] as LoadResult;
  rows.push({ goal: `3 ${count} streams`, metric: 'p50 / p99 / max ms', executor: `${e.latency.p50} / ${e.latency.p99} / ${e.latency.max}`, baseline: `${b.latency.p50} / ${b.latency.p99} / ${b.latency.max} (naive)`, ratio: '', target: 'p99 ≤ 0.2× naive', met: e.latency.p99 <= 0.2 * b.latency.p99 ? 'yes' : 'no' });
  rows.push({ goal: `3 ${count} streams`, metric: 'Redis CPU %', executor: fmt(e.redisCpuPct), baseline: `${fmt(b.redisCpuPct)} (naive)`, ratio: fmt(e.redisCpuPct / b.redisCpuPct, 2), target: '≪ naive', met: e.redisCpuPct < b.redisCpuPct / 2 ? 'yes' : 'no' });
  const was = results['before'];
  if (was) rows.push({ goal: `3 ${count} streams`, metric: 'p50 / p99 / max ms, BENCH_BEFORE', executor: `${was.latency.p50} / ${was.latency.p99} / ${was.latency.max}`, baseline: '', ratio: '', target: '', met: '' });
  rows.push({ goal: `3 ${count} streams`, metric: 'lost tasks', executor: String(e.lost), baseline: String(b.lost), ratio: '', target: '0', met: e.lost === 0 ? 'yes' : 'no' });
}

// ---------------------------------------------------------------------------------------
// Goal 5: memory while a large backlog drains; read-ahead bounded by concurrency.
async function goalMemory(server: PrivateRedis, redis: Redis): Promise<void> {
  const n = SIZES.memoryBacklog;
  const stream = streamKey('wf_memory');
  await fresh(redis);
  const nextId = taskIdFactory();
  const t0 = performance.now();
  await preload(redis, stream, n, () => setRequestFields('wf_memory', 'ex_memory', nextId()), 5000);
  await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  log(`  goal 5 preloaded ${n} requests in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  let maxPending = 0;
  const result = await runChild({ mode: 'executor', redisUrl: server.url, streams: [stream], target: n, env: EXECUTOR_ENV, rssSampleMs: 100 }, 900_000, undefined, async (finished) => {
    while (!finished()) {
      const summary = (await redis.xpending(stream, GROUP)) as [number, ...unknown[]];
      maxPending = Math.max(maxPending, summary[0]);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  const concurrency = Number(EXECUTOR_ENV.EXECUTOR_CONCURRENCY);
  const batch = Number(EXECUTOR_ENV.EXECUTOR_STREAM_BATCH);
  log(`  goal 5 drained ${n} in ${fmt(result.elapsedMs / 1000, 1)} s (${fmt((n / result.elapsedMs) * 1000)} tasks/s); max RSS ${fmt(result.maxRssMb)} MB (${fmt(result.readyRssMb)} MB before the drain); max pending ${maxPending}; max in flight ${result.maxInFlight}`);
  rows.push({ goal: `5 backlog ${n}`, metric: 'max RSS MB (before drain)', executor: `${fmt(result.maxRssMb)} (${fmt(result.readyRssMb)})`, baseline: '', ratio: '', target: '≤ 150', met: result.maxRssMb <= 150 ? 'yes' : 'no' });
  const readAhead = Math.max(maxPending, result.maxInFlight ?? 0);
  rows.push({ goal: `5 backlog ${n}`, metric: 'max pending (PEL) / in flight', executor: `${maxPending} / ${result.maxInFlight}`, baseline: '', ratio: '', target: `≤ ${concurrency + batch}`, met: readAhead <= concurrency + batch ? 'yes' : 'no' });
}

// ---------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  const server = await PrivateRedis.start();
  const redis = server.client();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  log(`flunq-executor-ts benchmark (${quick ? 'quick' : 'full'}): node ${process.version}, redis ${redisVersion}, ${cpus.length} × ${cpus[0]?.model ?? '?'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  log(`private redis-server on 127.0.0.1:${server.port}`);
  const goals: [string, string, () => Promise<void>][] = [
    ['1', 'goal 1: backlog drain, one stream', () => goalDrain(server, redis)],
    ['2', 'goal 2: latency at 1,000 tasks/s, one stream', () => goalLatency(server, redis)],
    ['3', `goal 3: latency at 1,000 tasks/s over ${SIZES.manyStreams} streams`, () => goalManyStreams(server, redis)],
    ['4', 'goal 4: call tasks against a local HTTP server, concurrency 50', () => runHttpGoal(server, redis, { seconds: SIZES.httpSeconds, quick, rows, notes, log, profileDir })],
    ['5', `goal 5: memory while ${SIZES.memoryBacklog} requests drain`, () => goalMemory(server, redis)],
    ['tracing', 'tracing: the drain of goal 1 with tracing off and with spans exported over OTLP', () => goalTracing(server, redis)],
    ['tenants', 'tenants: two tenants, a busy one with 2 s tasks and a small one with set tasks, concurrency 10', () => runFairnessGoal(server, redis, { quick, rows, notes, log })],
    ['expr', 'expressions: cost per expression, in-process jq (before) against the path evaluator and the worker pool (after)', () => runExpressionGoal({ quick, rows, notes, log })],
    ['isolation', 'isolation: hostile probes one at a time beside other tenants\' tasks', () => runIsolationGoal({ quick, notes, log })],
    ['cluster', 'cluster: backlog drain over many streams on a Redis Cluster of three primaries against a single Redis', () => goalCluster()],
    ['nats', 'nats: backlog drain on NATS JetStream, the executor against an ideal JetStream loop', () => runNatsGoal({ quick, rows, notes, env: EXECUTOR_ENV, log })],
    ['grpc', 'grpc: call: grpc tasks against a local gRPC server, concurrency 50, against a raw grpc-js client', () => runGrpcGoal(server, redis, { seconds: SIZES.httpSeconds, quick, rows, notes, log })],
    ['scale', 'scale: the drain of goal 1 by 1, 2 and 4 executor processes on the same Redis', () => goalScale(server, redis)],
    ['rediscost', 'redis cost: Redis CPU per task of the settlement designs alone (no executor)', () => runRedisCost({ quick, log, notes })],
    ['validation', 'validation: OpenAPI calls to a local server with validate none and both, one at a time', () => runValidationGoal({ quick, rows, notes, log })],
  ];
  try {
    for (const [id, title, run] of goals) {
      if (!wants(id)) continue;
      log(`\n${title}`);
      try {
        await run();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  FAILED: ${message}`);
        rows.push({ goal: id, metric: 'error', executor: message.slice(0, 60), baseline: '', ratio: '', target: '', met: 'no' });
      }
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
  log(`\n${table(['goal', 'metric', 'executor', 'baseline', 'ratio', 'target', 'met'], rows.map((r) => [r.goal, r.metric, r.executor, r.baseline, r.ratio, r.target, r.met]))}`);
  for (const note of notes) log(`- ${note}`);
  log(`- finished in ${fmt((performance.now() - started) / 1000)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (2 shared cores: expect 10-30 % noise; compare ratios)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
