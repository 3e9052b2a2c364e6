/**
 * `npm run bench:profile [-- --tasks=N] [-- --kind=call] [-- --no-prof]`: the in-process hot path, without Redis.
 * ProcessDelivery + ExecuteTask + the set handler over the in-memory stream (embedded profile:
 * system clock, Winston JSON logs written to a null stream), N preloaded set tasks, concurrency 100.
 * `--kind=call`: `call` tasks (undici adapter, concurrency 50) against the bench's local HTTP server,
 * run in a process of its own, so that the call path can be profiled without Redis.
 * Runs itself in a child with the V8 CPU profiler (the `node --cpu-prof` format, started by
 * node:inspector around the drain only, so start-up is left out) and prints µs per task and where the CPU time went.
 */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CountingMetrics } from './lib/counting-metrics';
import { fakeHttpClient } from './lib/fake-http-client';
import { callRequestFields, setRequestFields, streamKey, taskIdFactory } from './lib/fixtures';
import { benchScript, SCRIPT_EXEC_ARGV } from './lib/child-process';
import { startCpuProfile, summarizeCpuProfile } from './lib/cpu-profile';

const argTasks = process.argv.find((a) => a.startsWith('--tasks='));
const TASKS = argTasks ? Number(argTasks.slice('--tasks='.length)) : 100_000;
const KIND = process.argv.find((a) => a.startsWith('--kind='))?.slice('--kind='.length) ?? 'set';

async function drain(): Promise<void> {
  const { loadConfig } = await import('../src/config/env');
  const { createExecutor } = await import('../src/config/container');
  const { replace } = await import('../src/config/binding');
  const { HTTP_CLIENT, METRICS, STREAM_BROKER } = await import('../src/config/tokens');
  const { InMemoryStreamBroker } = await import('../src/adapters/memory/in-memory-stream-broker');
  const { SystemClock } = await import('../src/adapters/system/system-clock');
  const stream = streamKey('wf_profile');
  const call = KIND === 'call' || KIND === 'call-fake';
  const concurrency = call ? '50' : '100';
  const config = loadConfig({ HOSTNAME: 'profile', EVENT_STREAM_TYPE: 'memory', EXECUTOR_STREAMS: stream, EXECUTOR_CONCURRENCY: concurrency, EXECUTOR_STREAM_BATCH: concurrency, LOG_LEVEL: 'info', HTTP_CLIENT: 'undici', CONSOLE_ENABLED: 'false', OTEL_TRACES_EXPORTER: 'none' });
  const broker = new InMemoryStreamBroker(new SystemClock());
  const nextId = taskIdFactory(call ? 'fetchPet' : 'initialize');
  const url = call ? `http://127.0.0.1:${process.env['BENCH_HTTP_PORT'] || '9'}/pets/42` : '';
  for (let i = 0; i < TASKS; i++) {
    const flat = call ? callRequestFields('wf_profile', 'ex_profile', nextId(), url) : setRequestFields('wf_profile', 'ex_profile', nextId());
    const fields: Record<string, string> = {};
    for (let k = 0; k + 1 < flat.length; k += 2) fields[flat[k] as string] = flat[k + 1] as string;
    broker.append(stream, fields);
  }
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const metrics = new CountingMetrics();
  // `--kind=call-fake`: call tasks answered at once by an HttpClient in this process (no socket), to
  // see what the call path costs around the exchange itself.
  const fake = KIND === 'call-fake' ? [replace(HTTP_CLIENT, fakeHttpClient())] : [];
  const { service } = await createExecutor(config, { profile: 'embedded', http: false, logStream: sink, replacements: [replace(METRICS, metrics), replace(STREAM_BROKER, broker), ...fake] });
  const done = new Promise<void>((resolve) => (metrics.onFinished = () => metrics.finished >= TASKS && resolve()));
  // The profiler covers the drain only (what `node --cpu-prof` would record, minus start-up).
  const profiling = process.env['BENCH_PROFILE_DIR'];
  const profiler = profiling ? await startCpuProfile() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await service.start();
  await done;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (profiling && profiler) await profiler.stop(path.join(profiling, 'drain.cpuprofile'));
  await service.stop();
  process.send?.({ tasks: TASKS, elapsedMs: elapsed, cpuUsPerTask: (cpu.user + cpu.system) / TASKS, outcomes: metrics.byOutcome });
}

/** The bench's HTTP server (bench/http-server) in a process of its own. */
async function startHttpServer(): Promise<{ port: number; stop(): void }> {
  const server = fork(benchScript('http-server'), [], { execArgv: SCRIPT_EXEC_ARGV, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('http server did not start')), 20_000);
    server.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
  });
  return { port, stop: () => server.kill('SIGTERM') };
}

async function main(): Promise<void> {
  if (process.env['BENCH_PROFILE_CHILD'] === '1') return drain();
  const noProf = process.argv.includes('--no-prof');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-prof-'));
  const server = KIND === 'call' ? await startHttpServer() : undefined;
  const child = fork(__filename, process.argv.slice(2), {
    execArgv: SCRIPT_EXEC_ARGV,
    env: { ...process.env, BENCH_PROFILE_CHILD: '1', TS_NODE_TRANSPILE_ONLY: 'true', BENCH_HTTP_PORT: String(server?.port ?? ''), ...(noProf ? {} : { BENCH_PROFILE_DIR: dir }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const result = await new Promise<{ tasks: number; elapsedMs: number; cpuUsPerTask: number; outcomes: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('profile run timed out'));
    }, 300_000);
    child.on('message', (m: { tasks: number; elapsedMs: number; cpuUsPerTask: number; outcomes: unknown }) => resolve(m));
    child.on('exit', () => clearTimeout(timer));
  });
  await new Promise((r) => child.once('exit', r));
  server?.stop();
  process.stdout.write(`in-memory hot path: ${result.tasks} ${KIND} tasks in ${result.elapsedMs.toFixed(0)} ms = ${((result.tasks / result.elapsedMs) * 1000).toFixed(0)} tasks/s, ${result.cpuUsPerTask.toFixed(1)} µs CPU/task, outcomes ${JSON.stringify(result.outcomes)}\n`);
  if (noProf) return;
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  process.stdout.write(`profile: ${path.join(dir, file)}\n`);
  process.stdout.write(summarizeCpuProfile(path.join(dir, file), result.tasks));
}

main().catch((error: unknown) => {
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
