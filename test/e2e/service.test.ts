import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { CLI, ensureBuilt, MAIN, ROOT } from '../support/built';
import { freePort, getJson, postJson, sample, waitUntil } from '../support/ops';

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
  return { ...env, ...extra };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('the built service', () => {
  before(() => ensureBuilt());

  it('refuses bad configuration with exit code 2 and one message naming every bad variable', () => {
    const bad = { EXECUTOR_CONCURRENCY: 'lots', EXECUTOR_STREAM_BLOCK: 'soon', HEALTH_PORT: '70000', LOG_LEVEL: 'chatty', EVENT_STREAM_TYPE: 'kafka', EXECUTOR_RECLAIM_ENABLED: 'maybe' };
    const r = spawnSync(process.execPath, [MAIN], { env: cleanEnv(bad), encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /invalid configuration/);
    for (const [name, value] of Object.entries(bad)) assert.match(r.stderr, new RegExp(`${name}=${JSON.stringify(value)}: expected `), name);
    assert.match(r.stderr, /EXECUTOR_CONCURRENCY="lots": expected an integer from 1 to 10000/);
    assert.doesNotMatch(r.stderr, /REDIS_URL|METRICS_PORT/, 'only bad variables are named');
    assert.equal(r.stdout, '');
  });

  it('refuses to open POST /tasks on a non-loopback address without EXECUTOR_SUBMIT_TOKEN (exit code 2)', () => {
    const r = spawnSync(process.execPath, [MAIN], { env: cleanEnv({ EVENT_STREAM_TYPE: 'memory', HEALTH_HOST: '0.0.0.0', HEALTH_PORT: '0', METRICS_PORT: '0' }), encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /EXECUTOR_SUBMIT_TOKEN: required when the submit API \(POST \/tasks\) listens on HEALTH_HOST=0\.0\.0\.0/);
    assert.equal(r.stdout, '');
  });

  it('exits 1 with the reason when the health port is taken, before reading any task', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, [MAIN], { env: cleanEnv({ EVENT_STREAM_TYPE: 'memory', HEALTH_PORT: String(port), METRICS_PORT: String(port), HEALTH_HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      const { code } = await exited(child);
      assert.equal(code, 1);
      assert.equal(stderr, '', 'nothing outside the log');
      const lines = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      const failure = lines.find((l) => l['message'] === 'executor failed to start');
      assert.equal(failure?.['level'], 'error');
      assert.match(String(failure?.['error']), /EADDRINUSE/);
      assert.doesNotMatch(stdout, /executor started/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('`npm run start:prod` is exactly the command the container image runs', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts['start:prod'], 'node dist/src/main.js');
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^CMD \["node", "dist\/src\/main\.js"\]$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*\/healthz/m);
    assert.match(dockerfile, /^STOPSIGNAL SIGTERM$/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^EXPOSE 8083 9091$/m);
  });

  it('starts with `npm run start:prod` in embedded mode, serves health, runs a task, exposes metrics, stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn('npm', ['run', '--silent', 'start:prod'], {
      cwd: ROOT,
      env: cleanEnv({ EVENT_STREAM_TYPE: 'memory', HEALTH_PORT: String(port), METRICS_PORT: String(port), HEALTH_HOST: '127.0.0.1', HOSTNAME: 'e2e' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 20_000);
      assert.equal((await getJson(`${base}/health`)).status, 200);
      const r = await postJson(`${base}/tasks`, { task_type: 'set', input: { set_data: { hello: 'world' } } });
      assert.equal(r.status, 200);
      assert.deepEqual((r.body['completion'] as { output: unknown }).output, { set_data: { hello: 'world' } });
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.equal(sample(text, 'executor_tasks_total{task_type="set",outcome="success"}'), 1);
    } finally {
      // The whole process group: npm and the node process it started.
      process.kill(-child.pid!, 'SIGTERM');
    }
    await exited(child);
    await waitUntil(() => /"message":"executor stopped"/.test(stdout), 10_000);
    const lines = stdout.split('\n').filter((l) => l !== '');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `stdout is JSON lines: ${line}`);
    assert.ok(lines.some((l) => l.includes('"message":"task completed"')));
    assert.ok(lines.some((l) => (JSON.parse(l) as { message: string }).message === 'received SIGTERM; finishing in-flight tasks'), 'the signal is logged as JSON');
    assert.equal(stderr, '', 'every line goes through the logger');
  });

  it('logs its configuration once at start (secrets hidden) and warns of unknown settings with the closest known name', async () => {
    const port = await freePort();
    const SECRET = 'Sup3r-secret-Passw0rd';
    const TOKEN = 'a-submit-token-of-32-characters!';
    const child = spawn(process.execPath, [MAIN], {
      env: cleanEnv({
        EVENT_STREAM_TYPE: 'memory',
        HEALTH_PORT: String(port),
        METRICS_PORT: String(port),
        HEALTH_HOST: '127.0.0.1',
        REDIS_URL: `redis://ops:${SECRET}@redis.internal:6379/0`,
        REDIS_PASSWORD: SECRET,
        EXECUTOR_SUBMIT_TOKEN: TOKEN,
        EXECUTOR_CONCURENCY: '8',
        REDIS_SERVICE_HOST: '10.0.0.1',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await waitUntil(() => /"message":"executor started"/.test(stdout), 20_000);
    } finally {
      child.kill('SIGTERM');
    }
    await exited(child);
    assert.equal(stderr, '');
    assert.doesNotMatch(stdout, new RegExp(`${SECRET}|${TOKEN}`));
    const lines = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const configs = lines.filter((l) => l['message'] === 'configuration');
    assert.equal(configs.length, 1, 'logged once');
    const config = configs[0]!['config'] as { redis: { url: string; password: string }; health: { submitToken: string }; executor: { concurrency: number } };
    assert.equal(config.redis.url, 'redis://ops:***@redis.internal:6379/0');
    assert.equal(config.redis.password, '***');
    assert.equal(config.health.submitToken, '***');
    assert.equal(config.executor.concurrency, 4);
    const warnings = lines.filter((l) => l['level'] === 'warn').map((l) => l['message']);
    assert.deepEqual(warnings, ['unknown setting EXECUTOR_CONCURENCY (did you mean EXECUTOR_CONCURRENCY?)'], 'a Kubernetes service link is not a setting');
  });

  it('`flunq-executor run task.json` prints the task.completed payload', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-run-'));
    const file = path.join(dir, 'task.json');
    writeFileSync(file, JSON.stringify({ task_type: 'inject', task_name: 'greet', input: { data: { greeting: 'hi' } } }));
    const r = spawnSync(process.execPath, [CLI, 'run', file], { env: cleanEnv({}), encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const payload = JSON.parse(r.stdout) as { success: boolean; task_name: string; output: { data: unknown }; data: { metadata: { task_type: string } } };
    assert.equal(payload.success, true);
    assert.equal(payload.task_name, 'greet');
    assert.deepEqual(payload.output.data, { greeting: 'hi' });
    assert.equal(payload.data.metadata.task_type, 'inject');

    writeFileSync(file, JSON.stringify({ task_type: 'teleport' }));
    const failed = spawnSync(process.execPath, [CLI, 'run', file], { env: cleanEnv({}), encoding: 'utf8', timeout: 20_000 });
    assert.equal(failed.status, 1);
    assert.equal((JSON.parse(failed.stdout) as { success: boolean }).success, false);

    const missing = spawnSync(process.execPath, [CLI, 'run', path.join(dir, 'nope.json')], { env: cleanEnv({}), encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read/);
  });
});
