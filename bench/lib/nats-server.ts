import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { freePort } from './redis-server';

/** A private `nats-server -js` on a free loopback port, its store in a temporary directory (removed on stop). */
export class PrivateNats {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateNats> {
    const port = await freePort();
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-bench-nats-'));
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
    const server = new PrivateNats(port, child, storeDir);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      try {
        const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 1000 });
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
          return server;
        } finally {
          await nc.close();
        }
      } catch (error) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw error;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGKILL');
      });
    }
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}
