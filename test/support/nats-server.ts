import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, NatsConnection } from 'nats';
import { freePort } from './redis-server';

export interface TestNats {
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** A new client connection (closed by `stop`). */
  client(): Promise<NatsConnection>;
  /** Kills the server (SIGKILL); its JetStream store stays on disk. */
  kill(): Promise<void>;
  /** Starts a killed server again on the same port and store. */
  start(): Promise<void>;
  /** Stops the server and removes its store. */
  stop(): Promise<void>;
}

async function waitForPort(port: number, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A private `nats-server -js` on a free loopback port, with its JetStream store in a temporary
 * directory (removed by `stop`). Never the shared server: tests own what they start.
 */
export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'flunq-nats-'));
  const clients: NatsConnection[] = [];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
    await waitForPort(port);
    // JetStream answers a moment after the port opens.
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await (await nc.jetstreamManager()).getAccountInfo();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await nc.close();
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
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    client: async () => {
      const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
      clients.push(nc);
      return nc;
    },
    kill,
    start: launch,
    stop: async () => {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
