import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` (or REDIS_URL when given). */
  url: string;
  port: number;
  /** True when this helper started the server (only then may tests flush or restart it). */
  owned: boolean;
  /** A new client (closed by `stop`). */
  client(): Redis;
  /** Kills the server (SIGKILL, data lost: no persistence) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Kills the server without restarting it. */
  kill(): Promise<void>;
  /** Starts a killed server again. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered (a hung server). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, password: string | undefined, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return;
    } catch {
      c.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * A private redis-server on a free loopback port, without persistence. When REDIS_URL is set,
 * that server is used instead and never flushed, restarted or killed (restart() then throws).
 * With `password`, the private server requires it (`requirepass`); a password cannot be imposed
 * on a server given by REDIS_URL, so that combination throws.
 */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const clients: Redis[] = [];
  const external = process.env['REDIS_URL'];
  const { password } = options;
  if (external && password) throw new Error('a password-protected Redis needs a private redis-server (REDIS_URL is set)');
  if (external) {
    const url = external;
    return {
      url,
      port: Number(/:(\d+)(\/|$)/.exec(url)?.[1] ?? 6379),
      owned: false,
      client: () => {
        const c = new Redis(url.startsWith('redis') ? url : `redis://${url}`);
        clients.push(c);
        return c;
      },
      restart: () => Promise.reject(new Error('cannot restart a Redis this test did not start')),
      kill: () => Promise.reject(new Error('cannot kill a Redis this test did not start')),
      start: () => Promise.resolve(),
      pause: () => {
        throw new Error('cannot pause a Redis this test did not start');
      },
      resume: () => undefined,
      stop: () => {
        for (const c of clients) c.disconnect();
        return Promise.resolve();
      },
    };
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(password ? ['--requirepass', password] : [])], { stdio: 'ignore' });
    await waitForPing(port, password);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await launch();
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    owned: true,
    client: () => {
      const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 3, retryStrategy: (n) => Math.min(n * 50, 500), ...(password ? { password } : {}) });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    restart: async (downMs = 0) => {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    kill,
    start: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      for (const c of clients) c.disconnect();
      child?.kill('SIGCONT');
      await kill();
    },
  };
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, deadlineMs = 5000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
