/**
 * `npm start` leaves the service as the process npm signals: a SIGTERM sent to npm alone reaches
 * the node service, which drains and exits, and no orphan keeps the port. `npm start` and
 * `npm run task` build only when dist/ is older than the sources.
 */
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { MAIN, ROOT } from '../support/built';
import { freePort, waitUntil } from '../support/ops';

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], ...extra };
}

/** The pids whose parent is `pid` (Linux `ps`). */
function childrenOf(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

function commandOf(pid: number): string {
  return spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('npm scripts', () => {
  before(() => {
    // What `prestart` runs: afterwards dist/ is fresh, so the runs below do not build.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.cjs')], { cwd: ROOT, stdio: 'inherit' });
  });

  it('`npm start`: SIGTERM to the npm process alone stops the node service, which closes its port', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: cleanEnv({ EVENT_STREAM_TYPE: 'memory', HEALTH_PORT: String(port), METRICS_PORT: String(port), HEALTH_HOST: '127.0.0.1', HOSTNAME: 'e2e' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a failing test can still clean up everything it started.
      detached: true,
    });
    let output = '';
    npm.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    let service = 0;
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000);
      const children = childrenOf(npm.pid!);
      assert.equal(children.length, 1, `npm runs one child: ${children.map(commandOf).join('; ')}`);
      service = children[0]!;
      assert.match(commandOf(service), /^node dist\/src\/main\.js$/, 'the child is the node service itself, not a shell');

      process.kill(npm.pid!, 'SIGTERM');
      await waitUntil(() => !alive(service), 15_000);
      assert.equal(await portOpen(port), false, 'the port is closed');
      await exited(npm);
      assert.match(output, /"message":"executor stopped"/, 'the service drained and stopped');
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      if (service && alive(service)) process.kill(service, 'SIGKILL');
    }
  });

  it('the prestart step builds again once a source is newer than dist/', () => {
    const source = path.join(ROOT, 'src', 'config', 'service.ts');
    const now = new Date();
    utimesSync(source, now, now);
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.cjs')], { cwd: ROOT, stdio: 'inherit' });
    assert.ok(statSync(MAIN).mtimeMs >= statSync(source).mtimeMs, 'dist/src/main.js was rebuilt');
  });

  it('`npm run task` runs on a fresh dist/ without building', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-npm-task-'));
    const file = path.join(dir, 'task.json');
    writeFileSync(file, JSON.stringify({ task_type: 'set', input: { set_data: { a: 1 } } }));
    const before = statSync(MAIN).mtimeMs;
    const r = spawnSync('npm', ['run', '--silent', 'task', '--', file], { cwd: ROOT, env: cleanEnv({}), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { success: boolean }).success, true);
    assert.equal(statSync(MAIN).mtimeMs, before, 'dist/src/main.js was not rebuilt');
  });
});
