/**
 * The built CLI refuses what it cannot handle with one line on stderr and exit code 2: task files
 * that are not regular files or are too large (checked before reading), and a Redis it cannot
 * reach or that refuses the password (within a bounded time, no retries, no stack trace).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, ensureBuilt } from '../support/built';
import { deadLetterEntry, requestFields } from '../support/flunq';
import { freePort, startRedis, TestRedis } from '../support/redis-server';

function cli(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env }, encoding: 'utf8', timeout: 20_000 });
}

/** The CLI, asynchronously (a test server in this process must keep answering meanwhile). */
function cliAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout });
    });
  });
}

/** Exit code 2 and exactly one line on stderr matching `pattern`. */
function assertOneLineRefusal(r: { status: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /ioredis/);
  assert.equal(r.stdout, '');
}

describe('flunq-executor run: the task file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-cli-'));
  before(() => ensureBuilt());

  it('refuses /dev/zero at once instead of reading it for ever', () => {
    const started = Date.now();
    assertOneLineRefusal(cli(['run', '/dev/zero']), /^flunq-executor: cannot read \/dev\/zero: not a regular file$/);
    assert.ok(Date.now() - started < 15_000);
  });

  it('refuses a directory and a FIFO without waiting for a writer', () => {
    assertOneLineRefusal(cli(['run', dir]), /not a regular file$/);
    const fifo = path.join(dir, 'task.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) return;
    assertOneLineRefusal(cli(['run', fifo]), /^flunq-executor: cannot read .*task\.fifo: not a regular file$/);
  });

  it('refuses a file nested deeper than EXECUTOR_MAX_JSON_DEPTH with one line', () => {
    const file = path.join(dir, 'deep.json');
    writeFileSync(file, `{"task_type": "set", "input": {"deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`);
    assertOneLineRefusal(cli(['run', file]), /^flunq-executor: cannot read .*deep\.json: it nests deeper than EXECUTOR_MAX_JSON_DEPTH \(256 levels\)$/);
  });

  it('refuses a file larger than EXECUTOR_MAX_ENTRY_BYTES before reading it', () => {
    const file = path.join(dir, 'big.json');
    writeFileSync(file, JSON.stringify({ task_type: 'set', input: { set_data: { blob: 'x'.repeat(2000) } } }));
    assertOneLineRefusal(cli(['run', file], { EXECUTOR_MAX_ENTRY_BYTES: '1024' }), /^flunq-executor: cannot read .*big\.json: \d+ bytes is larger than EXECUTOR_MAX_ENTRY_BYTES \(1024 bytes\)$/);
    const r = cli(['run', file]);
    assert.equal(r.status, 0, `within the default limit it runs: ${r.stderr}`);
  });
});

describe('flunq-executor run: a runaway expression', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-cli-'));
  before(() => ensureBuilt());

  it('ends with a failed outcome within the task timeout instead of running for ever', () => {
    const file = path.join(dir, 'loop.json');
    writeFileSync(file, JSON.stringify({ task_type: 'set', config: { parameters: { value: '${ def f: f; f }' } } }));
    const started = Date.now();
    const r = cli(['run', file], { TASK_TIMEOUT_SECONDS: '3' });
    const took = Date.now() - started;
    assert.equal(r.status, 1, `exit code (stderr: ${r.stderr})`);
    const outcome = JSON.parse(r.stdout) as { success: boolean; error_details?: { data?: { code?: string } } };
    assert.equal(outcome.success, false);
    assert.equal(outcome.error_details?.data?.code, 'EXPRESSION_TIMEOUT');
    assert.ok(took < 10_000, `took ${took} ms`);
  });
});

describe('flunq-executor dlq: Redis problems', () => {
  before(() => ensureBuilt());

  it('a refused connection: one line, exit code 2', async () => {
    const port = await freePort();
    assertOneLineRefusal(cli(['dlq', 'list'], { REDIS_URL: `redis://127.0.0.1:${port}` }), new RegExp(`^flunq-executor: cannot connect to Redis at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): connection refused$`));
  });

  it('a host that does not resolve: one line, exit code 2', () => {
    assertOneLineRefusal(cli(['dlq', 'list'], { REDIS_URL: 'redis://no-such-host.invalid:6379' }), /^flunq-executor: cannot connect to Redis at no-such-host\.invalid:6379 \(REDIS_URL\): host not found$/);
  });

  it('a server that accepts the connection and never answers: gives up after 5 s', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const r = await cliAsync(['dlq', 'list'], { REDIS_URL: `127.0.0.1:${port}` });
      assertOneLineRefusal(r, /^flunq-executor: cannot connect to Redis at 127\.0\.0\.1:\d+ \(REDIS_URL\): no answer within 5 s$/);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  describe('with a password-protected Redis', { skip: process.env['REDIS_URL'] ? 'REDIS_URL is set: needs a private redis-server' : false }, () => {
    const PASSWORD = 'the-right-Passw0rd';
    let redis: TestRedis;
    before(async () => {
      redis = await startRedis({ password: PASSWORD });
    });
    after(() => redis.stop());

    it('no password (NOAUTH): one line, exit code 2', () => {
      assertOneLineRefusal(cli(['dlq', 'list'], { REDIS_URL: redis.url }), /^flunq-executor: Redis at 127\.0\.0\.1:\d+ requires a password \(NOAUTH\): set REDIS_PASSWORD or give it in REDIS_URL$/);
    });

    it('a wrong password (WRONGPASS), in REDIS_PASSWORD or in the URL: one line without the password, exit code 2', () => {
      const wrong = cli(['dlq', 'list'], { REDIS_URL: redis.url, REDIS_PASSWORD: 'not-the-Passw0rd' });
      assertOneLineRefusal(wrong, /^flunq-executor: Redis at 127\.0\.0\.1:\d+ refused the password \(WRONGPASS\): check REDIS_PASSWORD or the password in REDIS_URL$/);
      const inUrl = cli(['dlq', 'list'], { REDIS_URL: `redis://:not-the-Passw0rd@127.0.0.1:${redis.port}` });
      assertOneLineRefusal(inUrl, /refused the password \(WRONGPASS\)/);
      assert.doesNotMatch(wrong.stderr + inUrl.stderr, /not-the-Passw0rd/);
    });

    it('the right password works', () => {
      const r = cli(['dlq', 'list'], { REDIS_URL: redis.url, REDIS_PASSWORD: PASSWORD });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'no dead letters');
    });
  });
});

describe('flunq-executor dlq: list, show and replay', { skip: process.env['REDIS_URL'] ? 'REDIS_URL is set: needs a private redis-server' : false }, () => {
  const STREAM = 'tenant:acme:workflow:wf_dlq:events';
  let redis: TestRedis;
  let deadLetterId = '';
  before(async () => {
    ensureBuilt();
    redis = await startRedis();
    const original = requestFields({ tenant: 'acme', workflow: 'wf_dlq', taskId: 'task-lost-1', taskName: 'lost' });
    deadLetterId = (await redis.client().xadd(STREAM, '*', ...Object.entries(deadLetterEntry(original, 'PUBLICATION_FAILED: redis down', 3)).flat())) ?? '';
  });
  after(() => redis.stop());

  it('lists dead letters as a table and as JSON', async () => {
    const table = await cliAsync(['dlq', 'list'], { REDIS_URL: redis.url });
    assert.equal(table.status, 0, table.stderr);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^STREAM\s+ENTRY\s+TASK\s+TYPE\s+ATTEMPTS\s+AGE\s+REASON$/);
    assert.match(row ?? '', new RegExp(`^${STREAM}\\s+${deadLetterId}\\s+task-lost-1\\s+set\\s+3\\s+\\d+s\\s+task_execution_failed:PUBLICATION_FAILED: redis down$`));
    assert.deepEqual(rest, []);
    const json = await cliAsync(['dlq', 'list', '--json', STREAM], { REDIS_URL: redis.url });
    const items = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(items.map((d) => [d['location'], d['messageId'], d['taskId'], d['attempts']]), [[STREAM, deadLetterId, 'task-lost-1', 3]]);
  });

  it('replays a dead letter (exit 1 when one of the ids is not a dead letter) and shows it with its replays', async () => {
    const replay = await cliAsync(['dlq', 'replay', STREAM, deadLetterId, '0-1'], { REDIS_URL: redis.url });
    assert.equal(replay.status, 1);
    assert.match(replay.stdout, new RegExp(`^replayed ${STREAM} ${deadLetterId} as \\d+-\\d+ \\(event id task-requested-task-lost-1-replay-1, replay 1\\)\\n$`));
    assert.equal(replay.stderr, `cannot replay ${STREAM} 0-1: ${STREAM} 0-1 is not a dead letter\n`);
    const show = await cliAsync(['dlq', 'show', STREAM, deadLetterId], { REDIS_URL: redis.url });
    assert.equal(show.status, 0, show.stderr);
    const record = JSON.parse(show.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), ['stream', 'entryId', 'eventId', 'taskId', 'taskName', 'taskType', 'workflowId', 'executionId', 'tenantId', 'reason', 'attempts', 'ageMs', 'fields', 'data', 'replays']);
    assert.equal(record['stream'], STREAM);
    assert.equal(record['entryId'], deadLetterId);
    assert.equal((record['fields'] as Record<string, string>)['type'], 'io.flunq.task.dlq');
    assert.equal((record['data'] as Record<string, unknown>)['task_id'], 'task-lost-1');
    assert.deepEqual((record['replays'] as Record<string, unknown>[]).map((r) => [r['location'], r['deadLetterId'], r['replay']]), [[STREAM, deadLetterId, 1]]);
    const missing = await cliAsync(['dlq', 'show', STREAM, '0-1'], { REDIS_URL: redis.url });
    assert.deepEqual([missing.status, missing.stderr], [1, `${STREAM} 0-1 is not a dead letter\n`]);
  });
});
