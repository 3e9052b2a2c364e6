import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { eventually, freePort } from './redis-server';

const exec = promisify(execFile);

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** The primary's id, for a replica. */
  primaryId: string | undefined;
  /** Number of slots served (primaries). */
  slots: number;
}

export interface TestCluster {
  /** Seed nodes as REDIS_CLUSTER_NODES wants them: `127.0.0.1:P1,127.0.0.1:P2,…`. */
  seeds: string;
  ports: number[];
  /** A cluster client (closed by `stop`). */
  client(): Cluster;
  /** A client of one node (closed by `stop`). */
  node(port: number): Redis;
  /** Every node as `CLUSTER NODES` describes it now (asked of a node that is up). */
  nodes(): Promise<ClusterNodeInfo[]>;
  /** SIGKILL of one node's server (no persistence: its data is gone with it). */
  kill(port: number): Promise<void>;
  /** `CLUSTER FAILOVER` on a replica: it becomes the primary once it has caught up (no data lost). */
  failover(replicaPort: number): Promise<void>;
  /** `redis-cli --cluster reshard`: moves `slots` slots from one primary to another. */
  reshard(fromId: string, toId: string, slots: number): Promise<void>;
  /** Waits until every live node reports `cluster_state:ok` and agrees on the slot map. */
  waitOk(deadlineMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster on loopback: `primaries` primaries with one replica each, without
 * persistence, in a temporary directory removed by `stop`. With `password`, every node requires it
 * (replicas authenticate to their primaries with it too).
 */
export async function startCluster(primaries = 3, options: { password?: string } = {}): Promise<TestCluster> {
  const { password } = options;
  const auth = password ? { password } : {};
  const dir = mkdtempSync(path.join(tmpdir(), 'flunq-cluster-'));
  const ports: number[] = [];
  while (ports.length < primaries * 2) {
    const port = await freePort();
    // The cluster bus uses port + 10000: both must be free and distinct.
    if (port + 10_000 <= 65_535 && !ports.includes(port) && !ports.includes(port + 10_000) && !ports.includes(port - 10_000)) ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const clients: (Redis | Cluster)[] = [];
  for (const port of ports) {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', ...(password ? ['--requirepass', password, '--masterauth', password] : [])],
      { stdio: 'ignore' },
    );
    children.set(port, child);
  }
  const node = (port: number): Redis => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false, ...auth });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const ask = async <T>(port: number, ...args: (string | number)[]): Promise<T> => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, ...auth });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.call(String(args[0]), ...args.slice(1))) as T;
    } finally {
      c.disconnect();
    }
  };
  const alive = (): number[] => ports.filter((p) => children.get(p)?.exitCode === null && children.get(p)?.signalCode === null);
  for (const port of ports) await eventually(`redis-server on ${port}`, async () => (await ask<string>(port, 'PING')) === 'PONG', 5000, 50);
  await exec('redis-cli', [...(password ? ['-a', password, '--no-auth-warning'] : []), '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });

  const nodes = async (): Promise<ClusterNodeInfo[]> => {
    let text: string | undefined;
    for (const port of alive()) {
      text = await ask<string>(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (text) break;
    }
    if (!text) throw new Error('no cluster node answers');
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const parts = line.split(' ');
        const port = Number(/:(\d+)@/.exec(parts[1] ?? '')?.[1]);
        const flags = parts[2] ?? '';
        let slots = 0;
        for (const range of parts.slice(8)) {
          if (range.startsWith('[')) continue;
          const [a, b] = range.split('-').map(Number);
          slots += b === undefined ? 1 : b - (a ?? 0) + 1;
        }
        return { id: parts[0] ?? '', port, role: flags.includes('master') ? ('master' as const) : ('slave' as const), primaryId: parts[3] === '-' ? undefined : parts[3], slots };
      })
      .filter((n) => alive().includes(n.port) && !n.id.includes('fail'));
  };
  const waitOk = async (deadlineMs = 30_000): Promise<void> => {
    await eventually(
      'cluster_state:ok on every node',
      async () => {
        const views = new Set<string>();
        for (const port of alive()) {
          const info = await ask<string>(port, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok')) return false;
          const slots = await ask<unknown[]>(port, 'CLUSTER', 'SLOTS');
          views.add(JSON.stringify(slots.map((s) => (s as unknown[]).slice(0, 3)).sort()));
        }
        return views.size === 1;
      },
      deadlineMs,
      100,
    );
  };
  await waitOk();
  await eventually('every replica to follow its primary', async () => (await nodes()).filter((n) => n.role === 'slave').length === primaries, 30_000, 100);
  // A manual failover needs a replica in sync with its primary.
  const replicasInSync = async (): Promise<boolean> => {
    for (const n of (await nodes()).filter((x) => x.role === 'slave')) {
      const info = await ask<string>(n.port, 'INFO', 'replication');
      if (!info.includes('master_link_status:up') || info.includes('master_sync_in_progress:1')) return false;
    }
    return true;
  };
  await eventually('every replica in sync', replicasInSync, 30_000, 100);

  return {
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    client: () => {
      const c = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: auth, retryDelayOnFailover: 200, retryDelayOnClusterDown: 200, retryDelayOnTryAgain: 100, maxRedirections: 32, slotsRefreshInterval: 1000, clusterRetryStrategy: (n) => Math.min(n * 100, 1000) },
      );
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    node,
    nodes,
    kill: async (port) => {
      const child = children.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    failover: async (replicaPort) => {
      await eventually('the replica in sync', replicasInSync, 20_000, 100);
      // A manual failover that did not complete (it times out) is asked for again.
      let askedAt = 0;
      await eventually(
        'the replica to become a primary',
        async () => {
          if ((await ask<string[]>(replicaPort, 'ROLE'))[0] === 'master') return true;
          if (Date.now() - askedAt > 5000) {
            askedAt = Date.now();
            await ask(replicaPort, 'CLUSTER', 'FAILOVER');
          }
          return false;
        },
        30_000,
        100,
      );
    },
    reshard: async (fromId, toId, slots) => {
      const port = alive()[0] as number;
      await exec('redis-cli', [...(password ? ['-a', password, '--no-auth-warning'] : []), '--cluster', 'reshard', `127.0.0.1:${port}`, '--cluster-from', fromId, '--cluster-to', toId, '--cluster-slots', String(slots), '--cluster-yes'], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    },
    waitOk,
    stop: async () => {
      for (const c of clients.splice(0)) c.disconnect();
      for (const child of children.values()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
