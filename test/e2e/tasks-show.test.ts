/**
 * `flunq-executor tasks show`, built, against the built service on a private Redis: the history of
 * a task that ran, of one that was dead-lettered and replayed, and of one that does not exist.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { CLI } from '../support/built';
import { entriesOfType, requestFields, streamKey, xadd } from '../support/flunq';
import { eventually, freePort, startRedis, TestRedis } from '../support/redis-server';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const WORKFLOW = 'wf_show';
const STREAM = streamKey('acme', WORKFLOW);

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout });
    });
  });
}

describe('flunq-executor tasks show against the built service', { skip: process.env['REDIS_URL'] ? 'REDIS_URL is set: needs a private redis-server' : false }, () => {
  let redis: TestRedis;
  let client: Redis;
  let service: ServiceProcess;
  let env: Record<string, string>;

  before(async () => {
    buildService();
    redis = await startRedis();
    client = redis.client();
    env = { REDIS_URL: redis.url };
    service = await startService({ REDIS_URL: redis.url, HOSTNAME: 'e2e-show', EXECUTOR_STREAM_BLOCK: '200ms' });
    const traced = { ...requestFields({ tenant: 'acme', workflow: WORKFLOW, taskId: 'task-prepare-1', parameters: { set_data: { petId: 42 } } }), traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` };
    await xadd(client, STREAM, traced);
    await xadd(client, STREAM, requestFields({ tenant: 'acme', workflow: WORKFLOW, taskId: 'task-prepare-10', parameters: { set_data: { petId: 10 } } }));
    await xadd(client, STREAM, requestFields({ tenant: 'acme', workflow: WORKFLOW, taskId: 'task-odd-1', taskType: 'frobnicate' }));
    await eventually('three completions', async () => (await entriesOfType(client, STREAM, 'io.flunq.task.completed')).length === 3 || undefined, 20_000);
  });
  /** The output of the task's completion, read from the stream itself. */
  async function storedOutput(taskId: string): Promise<unknown> {
    const completion = (await entriesOfType(client, STREAM, 'io.flunq.task.completed')).find((e) => e.fields['taskid'] === taskId);
    return (JSON.parse(completion?.fields['data'] ?? '{}') as { output?: unknown }).output;
  }

  after(async () => {
    service.kill('SIGTERM');
    await service.exited;
    await redis.stop();
  });

  it('prints the timeline of a task that ran: its request with the trace id, then its completion', async () => {
    const r = await cli(['tasks', 'show', 'task-prepare-1'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `task task-prepare-1 (prepare, set): workflow ${WORKFLOW}, execution ex_9a2e51c0-77b1-40, tenant acme`);
    assert.equal(lines[1], 'status: succeeded');
    assert.match(lines[3] ?? '', new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z {2}requested {2}${STREAM} \\d+-\\d+$`));
    assert.equal(lines[4], `    event task-requested-task-prepare-1 from worker-service at 2025-08-25T19:35:40Z, trace ${TRACE_ID}`);
    assert.match(lines[5] ?? '', new RegExp(`^\\S+Z {2}completed: succeeded {2}${STREAM} \\d+-\\d+$`));
    assert.match(lines[6] ?? '', /^ {4}event task-completed-task-prepare-1 from executor-service at \S+Z/);
    assert.match(lines[7] ?? '', /^ {4}attempt 1, \d+ ms$/);
    assert.equal(lines[8], `    output ${JSON.stringify(await storedOutput('task-prepare-1'))}`, 'the output as stored');
    assert.equal(lines.length, 9, r.stdout);
  });

  it('prints JSON with --json, the same with --workflow, and never mixes up task-1 and task-10', async () => {
    const json = await cli(['tasks', 'show', 'task-prepare-10', '--json'], env);
    assert.equal(json.status, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as { taskId: string; status: string; examined: number; entries: { kind: string; location: string; output?: unknown }[] };
    assert.deepEqual([shown.taskId, shown.status], ['task-prepare-10', 'succeeded']);
    assert.deepEqual(shown.entries.map((e) => [e.kind, e.location]), [['requested', STREAM], ['completed', STREAM]]);
    assert.deepEqual(shown.entries[1]?.output, await storedOutput('task-prepare-10'));
    assert.equal(JSON.stringify(shown.entries[1]?.output).includes('10'), true);
    const narrowed = await cli(['tasks', 'show', 'task-prepare-10', '--json', '--workflow', WORKFLOW], env);
    assert.deepEqual((JSON.parse(narrowed.stdout) as typeof shown).entries, shown.entries);
    const elsewhere = await cli(['tasks', 'show', 'task-prepare-10', '--workflow', 'wf_elsewhere'], env);
    assert.deepEqual([elsewhere.status, elsewhere.stderr, elsewhere.stdout], [1, 'no task task-prepare-10 found (0 entries searched)\n', '']);
  });

  it('shows a dead-lettered task, its replay and what became of it', async () => {
    const replay = await cli(['dlq', 'replay', '--all', '--workflow', WORKFLOW], env);
    assert.equal(replay.status, 0, replay.stderr);
    // The replay of a task of no known type is dead-lettered again, with its own failed completion.
    await eventually('the replay dead-lettered', async () => (await entriesOfType(client, STREAM, 'io.flunq.task.dlq')).length === 2 || undefined, 20_000);
    await eventually('its failed completion', async () => (await entriesOfType(client, STREAM, 'io.flunq.task.completed')).length === 4 || undefined, 20_000);
    const json = await cli(['tasks', 'show', 'task-odd-1', '--json'], env);
    assert.equal(json.status, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as { status: string; entries: { kind: string; success?: boolean; errorCode?: string; reason?: string; replay?: number }[] };
    assert.equal(shown.status, 'dead_lettered');
    assert.deepEqual(
      shown.entries.map((e) => [e.kind, e.replay ?? e.success ?? null]),
      [['requested', null], ['dead_lettered', null], ['completed', false], ['requested', 1], ['dead_lettered', null], ['completed', false]],
    );
    assert.match(shown.entries[1]?.reason ?? '', /^task_execution_failed:UNKNOWN_TASK_TYPE: /);
    assert.equal(shown.entries[2]?.errorCode, 'UNKNOWN_TASK_TYPE');
    const text = await cli(['tasks', 'show', 'task-odd-1'], env);
    assert.match(text.stdout, /^status: dead-lettered$/m);
    assert.match(text.stdout, new RegExp(`requested \\(replay 1\\) {2}${STREAM} \\d+-\\d+\\n {4}event task-requested-task-odd-1-replay-1 from worker-service at \\S+\\n {4}replay of the dead letter ${STREAM}\\|\\d+-\\d+\\n`));
  });

  it('a task that is not there: one line, exit code 1', async () => {
    const r = await cli(['tasks', 'show', 'task-prepare-'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^no task task-prepare- found \(\d+ entries searched\)\n$/);
    assert.equal(r.stdout, '');
  });

  it('help, usage errors and an unreachable Redis, as the other commands', async () => {
    const help = await cli(['tasks', 'show', '--help'], env);
    assert.deepEqual([help.status, help.stderr], [0, '']);
    assert.match(help.stdout, /^usage: flunq-executor tasks show <task-id>/);
    const overview = await cli(['help'], env);
    assert.match(overview.stdout, /^ {2}tasks show <task-id> {11}one task's requests, replays, outcomes and dead letters, oldest first$/m);
    const usage = await cli(['tasks', 'show'], env);
    assert.deepEqual([usage.status, usage.stderr, usage.stdout], [2, 'flunq-executor: tasks show needs <task-id> (see: flunq-executor help tasks show)\n', '']);
    const port = await freePort();
    const down = await cli(['tasks', 'show', 'task-prepare-1'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.deepEqual([down.status, down.stderr, down.stdout], [2, `flunq-executor: cannot connect to Redis at 127.0.0.1:${port} (REDIS_URL): connection refused\n`, '']);
  });
});
