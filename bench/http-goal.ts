import { fork } from 'node:child_process';
import Redis from 'ioredis';
import type { Row } from './run';
import path from 'node:path';
import { benchScript, SCRIPT_EXEC_ARGV, startChild } from './lib/child-process';
import { summarizeCpuProfile } from './lib/cpu-profile';
import { callRequestFields, GROUP, preload, streamKey, taskIdFactory } from './lib/fixtures';
import { commandsPerTask, PrivateRedis } from './lib/redis-server';
import { preloadBullmq } from './lib/bullmq-peer';
import { median } from './lib/stats';

interface HttpGoalContext {
  seconds: number;
  quick: boolean;
  rows: Row[];
  notes: string[];
  log: (message: string) => void;
  /** Write and summarise CPU profiles of the executor rounds (`--profile`). */
  profileDir?: string;
}

interface RawResult {
  client: string;
  requests: number;
  perSecond: number;
  cpuUsPerRequest: number;
}


async function startServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = fork(benchScript('http-server'), [], { execArgv: SCRIPT_EXEC_ARGV, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('http server did not start')), 20_000);
    child.on('message', (m: { type: string; port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function rawClient(client: string, url: string, seconds: number): Promise<RawResult> {
  const child = fork(benchScript('http-client'), [], {
    execArgv: SCRIPT_EXEC_ARGV,
    env: { ...process.env, BENCH_HTTP_CLIENT: client, BENCH_HTTP_URL: url, BENCH_HTTP_SECONDS: String(seconds), BENCH_HTTP_CONCURRENCY: '50' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<RawResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${client} client timed out`));
    }, 30_000 + seconds * 1000);
    child.on('message', (m: { type: string; result: RawResult }) => resolve(m.result));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${client} client exited with ${code}`));
    });
  });
}

/** Goal 4: executor call tasks/s (concurrency 50) vs raw undici and raw axios req/s, same server, same run. */
export async function runHttpGoal(server: PrivateRedis, redis: Redis, ctx: HttpGoalContext): Promise<void> {
  const http = await startServer();
  const url = `http://127.0.0.1:${http.port}/pets/42`;
  try {
    const rounds = ctx.quick ? 1 : 2;
    const raw: Record<string, number[]> = { undici: [], axios: [] };
    const exec: Record<string, number[]> = {};
    const cpuPerTask: Record<string, number[]> = {};
    const rawCpu: number[] = [];
    const before = process.env['BENCH_BEFORE'] || undefined;
    // The executor with each HTTP adapter (HTTP_CLIENT), to pick the default on evidence.
    const clients = (process.env['BENCH_HTTP_CLIENTS'] ?? 'undici,axios').split(',');
    for (let round = 0; round < rounds; round++) {
      for (const client of ['undici', 'axios']) {
        const r = await rawClient(client, url, ctx.seconds);
        (raw[client] as number[]).push(r.perSecond);
        if (client === 'undici') rawCpu.push(r.cpuUsPerRequest);
        ctx.log(`  goal 4 round ${round + 1} raw ${client.padEnd(6)} ${r.perSecond.toFixed(0)} req/s  ${r.cpuUsPerRequest.toFixed(0)} µs CPU/request`);
      }
      // The executor per HTTP adapter, then the ideal call loop (raw undici + the least Redis work),
      // BullMQ doing the same call per job, and BENCH_BEFORE's executor; alternating order per round.
      // `no-exchange` (with BENCH_CALL_FAKE=1): the executor with call tasks answered in process.
      const consumers = [...clients, 'ideal-call', 'bullmq-call', ...(before ? ['before'] : []), ...(process.env['BENCH_CALL_FAKE'] === '1' ? ['no-exchange'] : [])];
      for (const client of round % 2 === 0 ? consumers : [...consumers].reverse()) {
        const tasks = (ctx.quick ? 3000 : 10_000) / (client === 'axios' ? 2 : 1);
        const stream = streamKey('wf_call');
        await redis.flushall();
        const nextId = taskIdFactory('fetchPet');
        const fields = (): string[] => callRequestFields('wf_call', 'ex_call', nextId(), url);
        if (client === 'bullmq-call') await preloadBullmq(server.url, tasks, fields);
        else {
          await preload(redis, stream, tasks, fields);
          await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
        }
        const env: Record<string, string> = { EXECUTOR_CONCURRENCY: '50', EXECUTOR_STREAM_BATCH: '50', LOG_LEVEL: 'info', HEALTH_PORT: '0', METRICS_PORT: '0' };
        if (clients.includes(client) && client !== 'default') env['HTTP_CLIENT'] = client;
        const executor = clients.includes(client) || client === 'before' || client === 'no-exchange';
        const mode = executor ? 'executor' : (client as 'ideal-call' | 'bullmq-call');
        const profileFile = ctx.profileDir && executor ? path.join(ctx.profileDir, `call-${client}-${round + 1}.cpuprofile`) : undefined;
        await redis.config('RESETSTAT');
        const child = startChild({ mode, build: client === 'before' ? before : undefined, fakeHttp: client === 'no-exchange', redisUrl: server.url, streams: [stream], target: tasks, env, profileFile }, 120_000);
        await child.ready;
        child.go();
        const result = await child.done;
        await child.exited;
        const rate = (tasks / result.elapsedMs) * 1000;
        if (profileFile) ctx.log(`${summarizeCpuProfile(profileFile, tasks)}  (profile: ${profileFile})`);
        (exec[client] ??= []).push(rate);
        (cpuPerTask[client] ??= []).push((result.cpuMs * 1000) / tasks);
        ctx.log(`  goal 4 round ${round + 1} ${executor ? `executor (${client === 'before' ? 'BENCH_BEFORE' : client === 'no-exchange' ? 'no exchange' : `HTTP_CLIENT=${client}`})` : client} ${rate.toFixed(0)} tasks/s  ${((result.cpuMs * 1000) / tasks).toFixed(0)} µs CPU/task  outcomes ${JSON.stringify(result.outcomes ?? {})}  [${await commandsPerTask(redis, tasks)}]`);
      }
    }
    const ideal = median(exec['ideal-call'] ?? []);
    const bull = median(exec['bullmq-call'] ?? []);
    const mine = median(exec['undici'] ?? []);
    const cpuOf = (key: string): string => median(cpuPerTask[key] ?? []).toFixed(0);
    ctx.rows.push({ goal: '4 call c=50', metric: 'tasks/s (undici) vs ideal call loop', executor: mine.toFixed(0), baseline: ideal.toFixed(0), ratio: (mine / ideal).toFixed(2), target: '', met: '' });
    ctx.rows.push({ goal: '4 call c=50', metric: 'tasks/s (undici) vs BullMQ', executor: mine.toFixed(0), baseline: bull.toFixed(0), ratio: (mine / bull).toFixed(2), target: '', met: '' });
    ctx.rows.push({ goal: '4 call c=50', metric: 'CPU µs/task: executor, ideal loop, BullMQ, raw undici/req', executor: cpuOf('undici'), baseline: `${cpuOf('ideal-call')}, ${cpuOf('bullmq-call')}, ${median(rawCpu).toFixed(0)}`, ratio: '', target: '', met: '' });
    if (before) ctx.rows.push({ goal: '4 call c=50', metric: 'tasks/s (undici) vs BENCH_BEFORE', executor: mine.toFixed(0), baseline: median(exec['before'] ?? []).toFixed(0), ratio: (mine / median(exec['before'] ?? [])).toFixed(2), target: '', met: '' });
    exec['ideal-call'] = [];
    exec['bullmq-call'] = [];
    exec['before'] = [];
    exec['no-exchange'] = [];
    const undici = median(raw['undici'] ?? []);
    const axios = median(raw['axios'] ?? []);
    for (const [client, rates] of Object.entries(exec).filter(([, r]) => r.length > 0)) {
      const rate = median(rates);
      const ratio = rate / undici;
      ctx.rows.push({ goal: '4 call c=50', metric: `tasks/s (${client}) vs raw undici`, executor: rate.toFixed(0), baseline: undici.toFixed(0), ratio: ratio.toFixed(2), target: '≥ 0.50', met: ratio >= 0.5 ? 'yes' : 'no' });
      ctx.rows.push({ goal: '4 call c=50', metric: `tasks/s (${client}) vs raw axios`, executor: rate.toFixed(0), baseline: axios.toFixed(0), ratio: (rate / axios).toFixed(2), target: '', met: '' });
    }
    ctx.notes.push(`goal 4: raw clients are one process with 50 requests in flight; the executor runs call tasks from Redis (read, parse, HTTP, publish, ack) with EXECUTOR_CONCURRENCY=50; the HTTP server is a third process on the same 2 cores.`);
    const u = median(exec['undici'] ?? []);
    const a = median(exec['axios'] ?? []);
    if (u && a) ctx.notes.push(`goal 4: executor with undici / with axios = ${(u / a).toFixed(2)}`);
  } finally {
    await http.stop();
  }
}
