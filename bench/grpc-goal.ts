import { fork } from 'node:child_process';
import Redis from 'ioredis';
import type { Row } from './run';
import { benchScript, SCRIPT_EXEC_ARGV, startChild } from './lib/child-process';
import { GROUP, grpcCallRequestFields, preload, streamKey, taskIdFactory } from './lib/fixtures';
import { BENCH_PROTO_DIR } from './lib/grpc-proto';
import { PrivateRedis } from './lib/redis-server';
import { median } from './lib/stats';

interface GrpcGoalContext {
  seconds: number;
  quick: boolean;
  rows: Row[];
  notes: string[];
  log: (message: string) => void;
}

interface RawResult {
  requests: number;
  perSecond: number;
  cpuUsPerRequest: number;
}

async function startServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = fork(benchScript('grpc-server'), [], { execArgv: SCRIPT_EXEC_ARGV, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('grpc server did not start')), 20_000);
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

async function rawClient(target: string, seconds: number): Promise<RawResult> {
  const child = fork(benchScript('grpc-client'), [], {
    execArgv: SCRIPT_EXEC_ARGV,
    env: { ...process.env, BENCH_GRPC_TARGET: target, BENCH_GRPC_SECONDS: String(seconds), BENCH_GRPC_CONCURRENCY: '50' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<RawResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('grpc client timed out'));
    }, 30_000 + seconds * 1000);
    child.on('message', (m: { type: string; result: RawResult }) => resolve(m.result));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`grpc client exited with ${code}`));
    });
  });
}

/**
 * `--only=grpc`: executor `call: grpc` tasks/s (concurrency 50, Redis Streams) against a raw grpc-js
 * client's calls/s (50 in flight), the same server, the same run; CPU per task against CPU per call.
 */
export async function runGrpcGoal(server: PrivateRedis, redis: Redis, ctx: GrpcGoalContext): Promise<void> {
  const grpc = await startServer();
  const target = `127.0.0.1:${grpc.port}`;
  try {
    const rounds = ctx.quick ? 1 : 2;
    const raw: RawResult[] = [];
    const exec: { rate: number; cpuUs: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const r = await rawClient(target, ctx.seconds);
      raw.push(r);
      ctx.log(`  grpc round ${round + 1} raw grpc-js ${r.perSecond.toFixed(0)} calls/s  ${r.cpuUsPerRequest.toFixed(0)} µs CPU/call`);
      const tasks = ctx.quick ? 3000 : 10_000;
      const stream = streamKey('wf_grpc');
      await redis.flushall();
      const nextId = taskIdFactory('greet');
      await preload(redis, stream, tasks, () => grpcCallRequestFields('wf_grpc', 'ex_grpc', nextId(), grpc.port));
      await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
      const env: Record<string, string> = { EXECUTOR_CONCURRENCY: '50', EXECUTOR_STREAM_BATCH: '50', LOG_LEVEL: 'info', HEALTH_PORT: '0', METRICS_PORT: '0', GRPC_PROTO_DIR: BENCH_PROTO_DIR };
      const child = startChild({ mode: 'executor', redisUrl: server.url, streams: [stream], target: tasks, env }, 120_000);
      await child.ready;
      child.go();
      const result = await child.done;
      await child.exited;
      const rate = (tasks / result.elapsedMs) * 1000;
      const cpuUs = (result.cpuMs * 1000) / tasks;
      exec.push({ rate, cpuUs });
      ctx.log(`  grpc round ${round + 1} executor ${rate.toFixed(0)} tasks/s  ${cpuUs.toFixed(0)} µs CPU/task  outcomes ${JSON.stringify(result.outcomes)}`);
    }
    const rawRate = median(raw.map((r) => r.perSecond));
    const rawCpu = median(raw.map((r) => r.cpuUsPerRequest));
    const rate = median(exec.map((e) => e.rate));
    const cpu = median(exec.map((e) => e.cpuUs));
    ctx.rows.push({ goal: 'grpc c=50', metric: 'tasks/s vs raw grpc-js calls/s', executor: rate.toFixed(0), baseline: rawRate.toFixed(0), ratio: (rate / rawRate).toFixed(2), target: '', met: '' });
    ctx.rows.push({ goal: 'grpc c=50', metric: 'µs CPU per task vs per raw call', executor: cpu.toFixed(0), baseline: rawCpu.toFixed(0), ratio: (cpu / rawCpu).toFixed(2), target: '', met: '' });
    ctx.notes.push('grpc: the raw client is one process with 50 unary calls in flight on one channel; the executor runs `call: grpc` tasks from Redis (read, parse, resolve, call, publish, ack) with EXECUTOR_CONCURRENCY=50; the gRPC server is a third process on the same cores.');
  } finally {
    await grpc.stop();
  }
}
