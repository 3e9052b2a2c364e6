/**
 * `npm run bench:cluster [-- --quick]`: a backlog drain over many workflow streams, by the executor
 * on a single private Redis and on a private Redis Cluster of three primaries (no replicas), in
 * alternating rounds (child processes, one at a time). Prints tasks/s, Node CPU per task and Redis
 * CPU per task (summed over the nodes).
 */
import Redis, { Cluster } from 'ioredis';
import { ChildResult } from './child';
import { startChild } from './lib/child-process';
import { GROUP, preload, setRequestFields, streamKey, taskIdFactory } from './lib/fixtures';
import { PrivateCluster } from './lib/redis-cluster';
import { PrivateRedis, redisCpuSeconds } from './lib/redis-server';
import { median, table } from './lib/stats';

const quick = process.argv.includes('--quick');
/** The executor settings of `npm run bench` (run.ts), repeated: importing run.ts would run it. */
const EXECUTOR_ENV = { EXECUTOR_CONCURRENCY: process.env['BENCH_CONCURRENCY'] ?? '100', EXECUTOR_STREAM_BATCH: '100', LOG_LEVEL: 'warn', HEALTH_PORT: '0', METRICS_PORT: '0' };
const SIZES = quick ? { tasks: 10_000, streams: 100, rounds: 2 } : { tasks: 40_000, streams: 400, rounds: 3 };

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

interface Target {
  name: string;
  /** Empties the backend and loads the backlog (groups created, so no history scan). */
  load(): Promise<void>;
  cpuSeconds(): Promise<number>;
  env: Record<string, string>;
  redisUrl: string;
}

async function loadBacklog(redis: Redis | Cluster, streams: string[]): Promise<void> {
  const nextId = taskIdFactory();
  // One pipeline per stream: on a cluster a pipeline stays on one node.
  const perStream = Math.ceil(SIZES.tasks / streams.length);
  for (const [i, stream] of streams.entries()) {
    await preload(redis as Redis, stream, perStream, () => setRequestFields(`wf_c${i}`, 'ex_cluster', nextId()));
    await redis.xgroup('CREATE', stream, GROUP, '0');
  }
}

async function round(target: Target): Promise<{ rate: number; nodeUs: number; redisUs: number; result: ChildResult }> {
  await target.load();
  const cpu0 = await target.cpuSeconds();
  const n = Math.ceil(SIZES.tasks / SIZES.streams) * SIZES.streams;
  const child = startChild({ mode: 'executor', redisUrl: target.redisUrl, streams: [], target: n, env: { ...EXECUTOR_ENV, ...target.env } }, 300_000);
  await child.ready;
  child.go();
  const result = await child.done;
  await child.exited;
  const redisUs = (((await target.cpuSeconds()) - cpu0) * 1e6) / n;
  return { rate: (n / result.elapsedMs) * 1000, nodeUs: (result.cpuMs * 1000) / n, redisUs, result };
}

async function main(): Promise<void> {
  const streams = Array.from({ length: SIZES.streams }, (_, i) => streamKey(`wf_c${i}`));
  const single = await PrivateRedis.start();
  const cluster = await PrivateCluster.start(3);
  const singleClient = single.client();
  const clusterClient = cluster.client();
  const nodes = cluster.nodeClients();
  try {
    const targets: Target[] = [
      {
        name: 'single Redis',
        load: async () => {
          await singleClient.flushall();
          await loadBacklog(singleClient, streams);
        },
        cpuSeconds: () => redisCpuSeconds(singleClient),
        env: {},
        redisUrl: single.url,
      },
      {
        name: 'cluster, 3 primaries',
        load: async () => {
          await Promise.all(nodes.map((node) => node.flushall()));
          await loadBacklog(clusterClient, streams);
        },
        cpuSeconds: async () => (await Promise.all(nodes.map((node) => redisCpuSeconds(node)))).reduce((a, b) => a + b, 0),
        env: { REDIS_CLUSTER_NODES: cluster.seeds },
        redisUrl: single.url,
      },
    ];
    const results = new Map<string, { rate: number; nodeUs: number; redisUs: number }[]>();
    for (let r = 0; r < SIZES.rounds; r++) {
      for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
        const got = await round(target);
        (results.get(target.name) ?? results.set(target.name, []).get(target.name))?.push(got);
        log(`  round ${r + 1} ${target.name.padEnd(21)} ${fmt(got.rate)} tasks/s  node ${fmt(got.nodeUs, 1)} µs/task  redis ${fmt(got.redisUs, 1)} µs/task  outcomes ${JSON.stringify(got.result.outcomes)}`);
      }
    }
    const rows = targets.map((t) => {
      const rs = results.get(t.name) ?? [];
      return [t.name, fmt(median(rs.map((x) => x.rate))), fmt(median(rs.map((x) => x.nodeUs)), 1), fmt(median(rs.map((x) => x.redisUs)), 1)];
    });
    log(`\ncluster drain: ${SIZES.tasks} set tasks over ${SIZES.streams} streams, concurrency ${EXECUTOR_ENV.EXECUTOR_CONCURRENCY}, median of ${SIZES.rounds} rounds`);
    log(table(['backend', 'tasks/s', 'Node CPU µs/task', 'Redis CPU µs/task (all nodes)'], rows));
    const rate = (name: string): number => median((results.get(name) ?? []).map((x) => x.rate));
    log(`cluster drain ratio (3 primaries / single Redis): ${fmt(rate('cluster, 3 primaries') / rate('single Redis'), 2)}`);
  } finally {
    singleClient.disconnect();
    clusterClient.disconnect();
    for (const node of nodes) node.disconnect();
    await cluster.stop();
    await single.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
