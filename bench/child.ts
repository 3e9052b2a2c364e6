/**
 * One consumer process of a benchmark round: the ideal loop, the naive all-streams loop, or
 * the executor itself (production container, Redis adapter). Driven over IPC by run.ts:
 * it says `ready`, waits for `go`, and reports `done` once `target` tasks are finished
 * (or `stop` arrives). Configuration comes in BENCH_CHILD (JSON).
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { Agent } from 'undici';
import { runIdealLoop } from './lib/ideal-loop';
import { CountingMetrics } from './lib/counting-metrics';
import { startCpuProfile } from './lib/cpu-profile';

export type ChildMode = 'ideal-multi' | 'ideal-pipe' | 'ideal-call' | 'naive' | 'executor' | 'nats-ideal' | 'nats-executor' | 'bullmq' | 'bullmq-call';

export interface ChildOptions {
  mode: ChildMode;
  redisUrl: string;
  streams: string[];
  /** Tasks after which the child reports `done`. */
  target: number;
  /** For the executor: extra environment variables (concurrency, batch, …). */
  env?: Record<string, string>;
  /** Write a CPU profile of the run (go → done) to this file. */
  profileFile?: string;
  /** Sample RSS this often (ms); 0 = only at the end. */
  rssSampleMs?: number;
  /** The executor's call tasks answered in process (as BENCH_FAKE_HTTP=1). */
  fakeHttp?: boolean;
  /** Run the child of this compiled bench build instead of this one (same options; see BENCH_BEFORE). */
  build?: string;
  /** The NATS modes: server, stream and subject prefix. */
  nats?: { url: string; stream: string; prefix: string };
}

export interface ChildResult {
  mode: ChildMode;
  processed: number;
  elapsedMs: number;
  cpuMs: number;
  maxRssMb: number;
  /** RSS once set up, before the workload. */
  readyRssMb: number;
  maxInFlight?: number;
  outcomes?: Record<string, number>;
}

type Message = { type: 'go' } | { type: 'stop' };

function send(message: unknown): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env['BENCH_CHILD'] ?? '{}') as ChildOptions;
  let processed = 0;
  let maxRss = process.memoryUsage.rss();
  const sampler = options.rssSampleMs ? setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage.rss())), options.rssSampleMs) : undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const goSignal = new Promise<void>((resolve) => {
    process.on('message', (m: Message) => {
      if (m.type === 'go') resolve();
      if (m.type === 'stop') finish();
    });
  });
  const onTask = (): void => {
    processed++;
    if (processed >= options.target) finish();
  };

  let stopConsumer: () => Promise<void>;
  let maxInFlight: (() => number) | undefined;
  let outcomes: (() => Record<string, number>) | undefined;
  let begin: () => Promise<void>;

  if (options.mode === 'nats-executor' && options.nats) {
    const { loadConfig } = await import('../src/config/env');
    const { createExecutor } = await import('../src/config/container');
    const { replace } = await import('../src/config/binding');
    const { METRICS } = await import('../src/config/tokens');
    const { NatsTaskInbox } = await import('../src/adapters/nats/nats-task-inbox');
    const config = loadConfig({ HOSTNAME: 'bench', EVENT_STREAM_TYPE: 'nats', NATS_URL: options.nats.url, NATS_STREAM: options.nats.stream, NATS_SUBJECT_PREFIX: options.nats.prefix, ...options.env });
    const metrics = new CountingMetrics();
    metrics.onFinished = onTask;
    const { service, loop, inbox } = await createExecutor(config, { profile: 'production', http: false, replacements: [replace(METRICS, metrics)] });
    // Connected and set up before `go`: the round measures the drain, not the set-up.
    if (inbox instanceof NatsTaskInbox) await inbox.connected();
    begin = () => service.start();
    stopConsumer = () => service.stop();
    maxInFlight = () => loop.maxInFlightObserved;
    outcomes = () => metrics.byOutcome;
  } else if (options.mode === 'nats-ideal' && options.nats) {
    const { connect } = await import('nats');
    const { runNatsIdealLoop } = await import('./lib/nats-ideal-loop');
    const nc = await connect({ servers: options.nats.url });
    const abort = new AbortController();
    let loop: Promise<void> = Promise.resolve();
    const nats = options.nats;
    begin = () => {
      loop = runNatsIdealLoop({ js: nc.jetstream(), stream: nats.stream, durable: 'executor-service', batch: 100, onTask, signal: abort.signal });
      return Promise.resolve();
    };
    stopConsumer = async () => {
      abort.abort();
      await loop.catch(() => undefined);
      await nc.close();
    };
  } else if (options.mode === 'bullmq' || options.mode === 'bullmq-call') {
    const { bullmqWorker } = await import('./lib/bullmq-peer');
    const worker = bullmqWorker(options.redisUrl, Number(options.env?.['EXECUTOR_CONCURRENCY'] ?? '100'), options.mode === 'bullmq-call', onTask);
    begin = () => {
      worker.run();
      return Promise.resolve();
    };
    stopConsumer = () => worker.close();
  } else if (options.mode === 'executor') {
    const { loadConfig } = await import('../src/config/env');
    const { createExecutor } = await import('../src/config/container');
    const { replace } = await import('../src/config/binding');
    const { HTTP_CLIENT, METRICS } = await import('../src/config/tokens');
    const { fakeHttpClient } = await import('./lib/fake-http-client');
    const config = loadConfig({ HOSTNAME: 'bench', REDIS_URL: options.redisUrl, EXECUTOR_STREAMS: options.streams.join(','), ...options.env });
    const metrics = new CountingMetrics();
    metrics.onFinished = onTask;
    // BENCH_FAKE_HTTP=1: call tasks answered in process (no socket), to separate the exchange from the rest.
    const fake = process.env['BENCH_FAKE_HTTP'] === '1' || options.fakeHttp ? [replace(HTTP_CLIENT, fakeHttpClient())] : [];
    // No health/metrics server: the benchmark measures the task path.
    const { service, loop } = await createExecutor(config, { profile: 'production', http: false, replacements: [replace(METRICS, metrics), ...fake] });
    begin = () => service.start();
    stopConsumer = () => service.stop();
    maxInFlight = () => loop.maxInFlightObserved;
    outcomes = () => metrics.byOutcome;
  } else {
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
    let streams = options.streams;
    if (options.mode === 'naive' && streams.length === 0) {
      // Go's discovery: a full SCAN of the key space for the workflow stream pattern.
      const found = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', 'tenant:*:workflow:*:events', 'COUNT', 1000);
        cursor = next;
        for (const key of keys) found.add(key);
      } while (cursor !== '0');
      streams = [...found];
    }
    const abort = new AbortController();
    const call = options.mode === 'ideal-call' ? new Agent({ connections: 50, keepAliveTimeout: 60_000 }) : undefined;
    let loop: Promise<void> = Promise.resolve();
    begin = () => {
      loop = runIdealLoop({
        redis,
        group: 'executor-service',
        consumer: 'bench',
        streams: () => streams,
        count: options.mode === 'naive' ? 10 : options.mode === 'ideal-call' ? 50 : 100,
        blockMs: 200,
        variant: options.mode === 'ideal-pipe' ? 'pipe' : 'multi',
        onTask,
        signal: abort.signal,
        call,
      });
      return Promise.resolve();
    };
    stopConsumer = async () => {
      abort.abort();
      await loop;
      redis.disconnect();
      await call?.close();
    };
  }

  const readyRssMb = process.memoryUsage.rss() / 1024 / 1024;
  send({ type: 'ready' });
  await goSignal;
  const profiler = options.profileFile ? await startCpuProfile() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await begin();
  await finished;
  if (profiler && options.profileFile) await profiler.stop(options.profileFile);
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  maxRss = Math.max(maxRss, process.memoryUsage.rss());
  if (sampler) clearInterval(sampler);
  const result: ChildResult = {
    mode: options.mode,
    processed,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: maxRss / 1024 / 1024,
    readyRssMb,
    maxInFlight: maxInFlight?.(),
    outcomes: outcomes?.(),
  };
  send({ type: 'done', result });
  await stopConsumer();
  process.disconnect?.();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
