/**
 * The built CLI refuses what it cannot handle with one line on stderr and exit code 2: task files
 * that are not regular files or are too large (checked before reading), and a Redis it cannot
 * reach or that refuses the password (within a bounded time, no retries, no stack trace).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, ensureBuilt, ROOT } from '../support/built';
import Redis from 'ioredis';
import { bodyBytes, messageFromFields, natsHeadersOf } from '../../src/adapters/nats/cloudevent-headers';
import { ensureStream } from '../../src/adapters/nats/setup';
import { workflowSubject } from '../../src/adapters/nats/subjects';
import { deadLetterEntry, readStream, requestFields, xadd } from '../support/flunq';
import { startNats, TestNats } from '../support/nats-server';
import { waitUntil } from '../support/ops';
import { freePort, startRedis, TestRedis } from '../support/redis-server';

const STREAM_FOR_USAGE = 'tenant:acme:workflow:wf_usage:events';

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
    assert.match(header ?? '', /^STREAM\s+ENTRY\s+TASK\s+TYPE\s+ATTEMPTS\s+AGE\s+STATUS\s+REPLAYS\s+REASON$/);
    assert.match(row ?? '', new RegExp(`^${STREAM}\\s+${deadLetterId}\\s+task-lost-1\\s+set\\s+3\\s+\\d+s\\s+open\\s+0\\s+task_execution_failed:PUBLICATION_FAILED: redis down$`));
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
    assert.deepEqual(Object.keys(record), ['stream', 'entryId', 'eventId', 'taskId', 'taskName', 'taskType', 'workflowId', 'executionId', 'tenantId', 'reason', 'attempts', 'ageMs', 'status', 'fields', 'data', 'replays']);
    assert.equal(record['status'], 'replayed');
    assert.equal(record['stream'], STREAM);
    assert.equal(record['entryId'], deadLetterId);
    assert.equal((record['fields'] as Record<string, string>)['type'], 'io.flunq.task.dlq');
    assert.equal((record['data'] as Record<string, unknown>)['task_id'], 'task-lost-1');
    assert.deepEqual((record['replays'] as Record<string, unknown>[]).map((r) => [r['location'], r['deadLetterId'], r['replay']]), [[STREAM, deadLetterId, 1]]);
    const missing = await cliAsync(['dlq', 'show', STREAM, '0-1'], { REDIS_URL: redis.url });
    assert.deepEqual([missing.status, missing.stderr], [1, `${STREAM} 0-1 is not a dead letter\n`]);
    const listed = await cliAsync(['dlq', 'list', '--json'], { REDIS_URL: redis.url });
    assert.deepEqual((JSON.parse(listed.stdout) as { replays: number }[]).map((d) => d.replays), [1], 'the list counts the replay');
  });

  it('filters the list by stream, workflow, reason and age; replays every match with --all and a summary', async () => {
    const OTHER = 'tenant:acme:workflow:wf_other:events';
    const original = requestFields({ tenant: 'acme', workflow: 'wf_other', taskId: 'task-other-1', taskName: 'other' });
    const otherId = (await redis.client().xadd(OTHER, '*', ...Object.entries(deadLetterEntry(original, 'MALFORMED_EVENT: bad data', 1)).flat())) ?? '';
    const ids = async (args: string[]): Promise<string[]> => {
      const r = await cliAsync(['dlq', 'list', '--json', ...args], { REDIS_URL: redis.url });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { messageId: string }[]).map((d) => d.messageId);
    };
    assert.deepEqual((await ids([])).sort(), [deadLetterId, otherId].sort());
    assert.deepEqual(await ids(['--stream', OTHER]), [otherId]);
    assert.deepEqual(await ids(['--workflow', 'wf_dlq']), [deadLetterId]);
    assert.deepEqual(await ids(['--reason', 'malformed_event']), [otherId]);
    assert.deepEqual(await ids(['--older-than', '1h']), []);
    assert.deepEqual(await ids(['--not-replayed']), [otherId], 'the first one was replayed by the previous test');

    const all = await cliAsync(['dlq', 'replay', '--all', '--not-replayed'], { REDIS_URL: redis.url });
    assert.equal(all.status, 0, all.stderr);
    const lines = all.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^replayed ${OTHER} ${otherId} as \\d+-\\d+ \\(event id task-requested-task-other-1-replay-1, replay 1\\)$`));
    assert.equal(lines[1], 'replayed 1 of 1 matching dead letters');
    const none = await cliAsync(['dlq', 'replay', '--all', '--not-replayed'], { REDIS_URL: redis.url });
    assert.deepEqual([none.status, none.stdout], [0, 'replayed 0 of 0 matching dead letters\n']);
  });
});

describe('flunq-executor dlq: resolve and purge', { skip: process.env['REDIS_URL'] ? 'REDIS_URL is set: needs a private redis-server' : false }, () => {
  const STREAM = 'tenant:acme:workflow:wf_ops:events';
  let redis: TestRedis;
  let client: Redis;
  const ids: Record<string, string> = {};
  before(async () => {
    ensureBuilt();
    redis = await startRedis();
    client = redis.client();
    for (const name of ['fixed', 'noise', 'stuck']) {
      const original = requestFields({ tenant: 'acme', workflow: 'wf_ops', taskId: `task-${name}-1`, taskName: name });
      ids[`${name}-request`] = await xadd(client, STREAM, original);
      ids[name] = await xadd(client, STREAM, deadLetterEntry(original, 'PUBLICATION_FAILED: redis down', 3));
    }
  });
  after(() => redis.stop());
  const env = (): Record<string, string> => ({ REDIS_URL: redis.url });
  const entryIds = async (): Promise<string[]> => (await readStream(client, STREAM)).map((e) => e.id);

  it('resolves with a note: hidden from dlq list, shown by --all, --status resolved and dlq show; a second resolve says so', async () => {
    const resolve = await cliAsync(['dlq', 'resolve', STREAM, ids['fixed']!, '--note', 'the downstream is back', '--by', 'alice'], env());
    assert.deepEqual([resolve.status, resolve.stdout, resolve.stderr], [0, `resolved ${STREAM} ${ids['fixed']}\n`, '']);
    const listed = async (...args: string[]): Promise<string[]> => {
      const r = await cliAsync(['dlq', 'list', '--json', ...args], env());
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { taskId: string; status: string }[]).map((d) => `${d.taskId}:${d.status}`);
    };
    assert.deepEqual(await listed(), ['task-noise-1:open', 'task-stuck-1:open']);
    assert.deepEqual(await listed('--all'), ['task-fixed-1:resolved', 'task-noise-1:open', 'task-stuck-1:open']);
    assert.deepEqual(await listed('--status', 'resolved'), ['task-fixed-1:resolved']);
    const table = await cliAsync(['dlq', 'list', '--all'], env());
    assert.match(table.stdout, new RegExp(`^${STREAM}\\s+${ids['fixed']}\\s+task-fixed-1\\s+set\\s+3\\s+\\d+s\\s+resolved\\s+0\\s+`, 'm'));
    const show = await cliAsync(['dlq', 'show', STREAM, ids['fixed']!], env());
    const record = JSON.parse(show.stdout) as { status: string; resolution: { by: string; note: string; resolvedAt: string } };
    assert.deepEqual([record.status, record.resolution.by, record.resolution.note], ['resolved', 'alice', 'the downstream is back']);
    assert.match(record.resolution.resolvedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await cliAsync(['dlq', 'resolve', STREAM, ids['fixed']!, '--note', 'other'], env());
    assert.deepEqual([again.status, again.stdout], [0, `${STREAM} ${ids['fixed']} was resolved already (${record.resolution.resolvedAt} by alice: the downstream is back)\n`]);
  });

  it('refuses a purge without --yes when there is no terminal to ask on, and a purge of what is not a dead letter', async () => {
    const before = await entryIds();
    assertOneLineRefusal(await cliAsync(['dlq', 'purge', STREAM, ids['noise']!], env()), /^flunq-executor: dlq purge deletes for good and there is no terminal to confirm on: add --yes \(see: flunq-executor help dlq purge\)$/);
    const request = await cliAsync(['dlq', 'purge', STREAM, ids['noise-request']!, '--yes'], env());
    assert.deepEqual([request.status, request.stdout, request.stderr], [1, '', `cannot purge ${STREAM} ${ids['noise-request']}: ${STREAM} ${ids['noise-request']} is not a dead letter\n`]);
    assert.deepEqual(await entryIds(), before, 'nothing was deleted');
  });

  it('purges named dead letters with --yes, and every resolved one with --all --status resolved: only the dead-letter entries go', async () => {
    const replay = await cliAsync(['dlq', 'replay', STREAM, ids['noise']!], env());
    assert.equal(replay.status, 0, replay.stderr);
    const replayed = /as (\S+) /.exec(replay.stdout)?.[1] ?? '';
    const purge = await cliAsync(['dlq', 'purge', STREAM, ids['noise']!, '--yes'], env());
    assert.deepEqual([purge.status, purge.stdout], [0, `purged ${STREAM} ${ids['noise']} with 1 replay record(s)\n`]);
    const all = await cliAsync(['dlq', 'purge', '--all', '--status', 'resolved', '--yes'], env());
    assert.deepEqual([all.status, all.stdout], [0, `purged ${STREAM} ${ids['fixed']} with its resolution\npurged 1 of 1 matching dead letters\n`]);
    const left = await entryIds();
    assert.deepEqual(left.filter((id) => [ids['noise'], ids['fixed']].includes(id)), [], 'the dead letters are gone');
    for (const kept of [ids['fixed-request'], ids['noise-request'], ids['stuck-request'], ids['stuck'], replayed]) assert.ok(left.includes(kept!), `${kept} stays`);
    assert.deepEqual(await client.hgetall(`${STREAM}:replays`), {}, 'the replay records are gone');
    assert.deepEqual(await client.hgetall(`${STREAM}:resolutions`), {}, 'the resolution is gone');
  });

  it('on a terminal, shows what matches and asks: no purges nothing (exit code 2), yes purges', { skip: spawnSync('script', ['--version']).status === 0 ? false : 'no script(1) to give the CLI a terminal' }, async () => {
    const onTerminal = (answer: string): Promise<{ status: number | null; output: string }> =>
      new Promise((resolve) => {
        // script(1) runs the CLI on a pseudo-terminal; the answer is typed once the question is there.
        const child = spawn('script', ['-qec', `'${process.execPath}' '${CLI}' dlq purge --all --workflow wf_ops`, '/dev/null'], { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (c: Buffer) => {
          output += c.toString();
          if (output.includes('[y/N]') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (status) => {
          clearTimeout(timer);
          resolve({ status, output: output.replace(/\r/g, '') });
        });
      });
    const no = await onTerminal('n');
    assert.equal(no.status, 2, no.output);
    assert.match(no.output, /1 dead letter\(s\) match:\nSTREAM\s+ENTRY.*\n.*task-stuck-1\s+set\s+3\s+\d+s\s+open\s+0\s+/);
    assert.match(no.output, /Purge 1 dead letter\(s\) for good, with their replay records and resolutions\? This cannot be undone\. \[y\/N\]/);
    assert.match(no.output, /flunq-executor: dlq purge not confirmed: nothing was purged\n/);
    assert.ok((await entryIds()).includes(ids['stuck']!));
    const yes = await onTerminal('y');
    assert.equal(yes.status, 0, yes.output);
    assert.match(yes.output, new RegExp(`purged ${STREAM} ${ids['stuck']}\\npurged 1 of 1 matching dead letters\\n`));
    assert.ok(!(await entryIds()).includes(ids['stuck']!));
  });
});

describe('flunq-executor dlq: resolve and purge on NATS JetStream', () => {
  const STREAM = 'FLUNQ_CLI_E2E';
  const PREFIX = 'clie2e';
  let nats: TestNats;
  let deadLetterSeq = '';
  let requestSeq = '';
  const subject = workflowSubject(PREFIX, 'acme', 'wf_nats');
  before(async () => {
    ensureBuilt();
    nats = await startNats();
    const nc = await nats.client();
    await ensureStream(await nc.jetstreamManager(), { stream: STREAM, subjectPrefix: PREFIX });
    const original = requestFields({ tenant: 'acme', workflow: 'wf_nats', taskId: 'task-nats-1', taskName: 'natsTask' });
    const publish = async (fields: Record<string, string>, msgId: string): Promise<string> => {
      const message = messageFromFields(fields);
      return String((await nc.jetstream().publish(subject, bodyBytes(message), { headers: natsHeadersOf(message, msgId) })).seq);
    };
    requestSeq = await publish(original, 'task-requested-task-nats-1');
    deadLetterSeq = await publish(deadLetterEntry(original, 'UNKNOWN_TASK_TYPE: x', 1), 'task-dlq-task-nats-1@1');
  });
  after(() => nats.stop());
  const env = (): Record<string, string> => ({ EVENT_STREAM_TYPE: 'nats', NATS_URL: nats.url, NATS_STREAM: STREAM, NATS_SUBJECT_PREFIX: PREFIX });

  it('resolves a dead letter by subject and sequence, then purges it (the request stays)', async () => {
    const resolve = await cliAsync(['dlq', 'resolve', subject, deadLetterSeq, '--note', 'handled by hand'], env());
    assert.deepEqual([resolve.status, resolve.stdout, resolve.stderr], [0, `resolved ${subject} ${deadLetterSeq}\n`, '']);
    const listed = await cliAsync(['dlq', 'list', '--status', 'resolved', '--json'], env());
    assert.deepEqual((JSON.parse(listed.stdout) as { messageId: string; resolution: { note: string } }[]).map((d) => [d.messageId, d.resolution.note]), [[deadLetterSeq, 'handled by hand']]);
    const refused = await cliAsync(['dlq', 'purge', subject, requestSeq, '--yes'], env());
    assert.deepEqual([refused.status, refused.stderr], [1, `cannot purge ${subject} ${requestSeq}: ${subject} ${requestSeq} is not a dead letter\n`]);
    const purge = await cliAsync(['dlq', 'purge', '--all', '--status', 'any', '--yes'], env());
    assert.deepEqual([purge.status, purge.stdout], [0, `purged ${subject} ${deadLetterSeq} with its resolution\npurged 1 of 1 matching dead letters\n`]);
    const show = await cliAsync(['dlq', 'show', subject, deadLetterSeq], env());
    assert.equal(show.status, 1);
    const jsm = await (await nats.client()).jetstreamManager();
    assert.equal((await jsm.streams.getMessage(STREAM, { seq: Number(requestSeq) })).subject, subject, 'the request stays');
  });
});

describe('flunq-executor: help, version and usage errors', () => {
  before(() => ensureBuilt());

  it('prints help for every command, as --help or as help <command>, on stdout with exit code 0', () => {
    for (const [args, first] of [
      [['--help'], /^usage: flunq-executor <command>/],
      [['help'], /^usage: flunq-executor <command>/],
      [['run', '--help'], /^usage: flunq-executor run <task\.json>/],
      [['help', 'run'], /^usage: flunq-executor run <task\.json>/],
      [['serve', '--help'], /^usage: flunq-executor serve/],
      [['dlq', '--help'], /^usage: flunq-executor dlq <list\|show\|replay\|resolve\|purge>/],
      [['dlq', 'list', '--help'], /^usage: flunq-executor dlq list/],
      [['dlq', 'list', '-h', '--json'], /^usage: flunq-executor dlq list/],
      [['help', 'dlq', 'replay'], /^usage: flunq-executor dlq replay/],
      [['dlq', 'show', '--help'], /^usage: flunq-executor dlq show/],
      [['dlq', 'resolve', '--help'], /^usage: flunq-executor dlq resolve/],
      [['help', 'dlq', 'purge'], /^usage: flunq-executor dlq purge/],
      [['dlq', 'purge', 'some-stream', '1-0', '--help'], /^usage: flunq-executor dlq purge/],
    ] as const) {
      const r = cli([...args], { REDIS_URL: 'redis://127.0.0.1:1' });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, first, args.join(' '));
      assert.equal(r.stderr, '', args.join(' '));
    }
  });

  it('prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = cli([flag]);
      assert.deepEqual([r.status, r.stdout], [0, `${pkg.version}\n`]);
    }
  });

  it('refuses bad usage with one line naming the help to read, exit code 2', () => {
    assertOneLineRefusal(cli([]), /^flunq-executor: no command \(see: flunq-executor help\)$/);
    assertOneLineRefusal(cli(['frob']), /^flunq-executor: unknown command frob \(see: flunq-executor help\)$/);
    assertOneLineRefusal(cli(['run']), /^flunq-executor: run needs a task request file \(see: flunq-executor help run\)$/);
    assertOneLineRefusal(cli(['dlq', 'list', '--bogus']), /^flunq-executor: unknown option '--bogus' \(see: flunq-executor help dlq list\)$/);
    assertOneLineRefusal(cli(['dlq', 'list', '--older-than', 'soon']), /^flunq-executor: --older-than "soon": expected a duration/);
    assertOneLineRefusal(cli(['dlq', 'replay', STREAM_FOR_USAGE]), /^flunq-executor: dlq replay needs <stream> <entry-id>… or --all/);
    assertOneLineRefusal(cli(['dlq', 'bogus']), /^flunq-executor: unknown dlq command bogus \(see: flunq-executor help dlq\)$/);
  });

  it('names every bad setting on one line, exit code 2', () => {
    assertOneLineRefusal(cli(['dlq', 'list'], { EXECUTOR_CONCURRENCY: 'lots', LOG_LEVEL: 'chatty' }), /^flunq-executor: invalid configuration: EXECUTOR_CONCURRENCY="lots": expected an integer from 1 to 10000; LOG_LEVEL="chatty": expected debug, info, warn or error$/);
  });

  it('warns of an unknown setting with the closest known name', async () => {
    const port = await freePort();
    const r = cli(['dlq', 'list'], { REDIS_URL: `redis://127.0.0.1:${port}`, EXECUTOR_CONCURENCY: '8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n')[0], 'flunq-executor: warning: unknown setting EXECUTOR_CONCURENCY (did you mean EXECUTOR_CONCURRENCY?)');
  });
});

describe('flunq-executor run: a file that is not a task request', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flunq-cli-'));
  before(() => ensureBuilt());

  it('a JSON syntax error: one line with the file, line, column and position', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{\n  "task_type": "set",\n  "input": {"a": tru}\n}\n');
    assertOneLineRefusal(cli(['run', file]), /^flunq-executor: .*broken\.json: invalid JSON at line 3, column 21 \(position 44\): unexpected character "}"$/);
  });

  it('JSON that is no task request: one line, not the usage', () => {
    const file = path.join(dir, 'typeless.json');
    writeFileSync(file, '{"task_type": 5}');
    assertOneLineRefusal(cli(['run', file]), /^flunq-executor: .*typeless\.json: task_type is required/);
  });
});

describe('flunq-executor serve', () => {
  before(() => ensureBuilt());

  it('runs the service until SIGTERM, every line in the chosen log format', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], EVENT_STREAM_TYPE: 'memory', HEALTH_PORT: String(port), METRICS_PORT: String(port), HEALTH_HOST: '127.0.0.1', LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 20_000);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exit, 0);
    assert.equal(stderr, '');
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO |WARN |ERROR) /, line);
    assert.ok(lines.some((l) => / INFO {2}received SIGTERM; finishing in-flight tasks signal=SIGTERM$/.test(l)));
    assert.ok(lines.some((l) => / INFO {2}executor stopped$/.test(l)));
  });
});
