import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './redis-server';

export const ROOT = path.resolve(__dirname, '..', '..');

/** `npm run build` (dist/src/main.js), once per process. */
let built = false;
export function buildService(): void {
  if (built) return;
  // The package's own build: it also copies the Redis adapter's Lua scripts into dist/.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** The port of /health, /healthz, /readyz and /metrics (unless the env chose another). */
  healthPort: number;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the built service as a separate process. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const healthPort = env['HEALTH_PORT'] ?? String(await freePort());
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HEALTH_PORT: healthPort, HEALTH_HOST: '127.0.0.1', METRICS_PORT: healthPort, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    healthPort: Number(healthPort),
    output: () => out,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
