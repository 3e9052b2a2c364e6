import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { workflowSubjects } from '../../src/adapters/nats/subjects';
import { completionsByTask, consumerBacklog, publishRequest } from '../support/nats-flunq';
import { startNats, TestNats } from '../support/nats-server';
import { eventually, freePort } from '../support/redis-server';
import { buildService, ROOT, ServiceProcess, startService } from '../support/service-process';

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const services: ServiceProcess[] = [];
let n = 0;

/** A stream and subject prefix of its own per test. */
function space(): { stream: string; prefix: string } {
  const id = ++n;
  return { stream: `E2E_${id}`, prefix: `e2e${id}` };
}

async function launch(s: { stream: string; prefix: string }, extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const service = await startService({
    EVENT_STREAM_TYPE: 'nats',
    NATS_URL: nats.url,
    NATS_STREAM: s.stream,
    NATS_SUBJECT_PREFIX: s.prefix,
    HOSTNAME: 'e2e-a',
    EXECUTOR_CONCURRENCY: '16',
    EXECUTOR_STREAM_BLOCK: '1s',
    EXECUTOR_RECLAIM_IDLE: '1s',
    EXECUTOR_SHUTDOWN_TIMEOUT: '10s',
    ...extra,
  });
  services.push(service);
  await eventually('the service ready', async () => (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`).catch(() => undefined))?.ok === true, 15_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${service.output().slice(-3000)}`);
  });
  return service;
}

before(async () => {
  buildService();
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
  jsm = await client.jetstreamManager();
});
afterEach(async () => {
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
});
after(async () => {
  for (const s of services) s.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  await nats.stop();
});

describe('the built service on NATS JetStream (private nats-server)', () => {
  it('kill -9 mid-batch, then another replica: every task has exactly one completion and nothing is left pending', async (t) => {
    const s = space();
    const first = await launch(s, { HOSTNAME: 'e2e-kill-1' });
    const filter = workflowSubjects(s.prefix);
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const taskId = `task-wait-${i}`;
      sent.push(taskId);
      await publishRequest(js, s.prefix, { tenant: i % 3 === 0 ? 'beta' : 'acme', workflow: `wf_kill_${i % 4}`, taskId, taskName: 'pause', taskType: 'wait', parameters: { duration: '150ms' } });
    }
    const completedCount = async (): Promise<number> => (await completionsByTask(js, s.stream, filter)).size;
    await eventually('some tasks done, others running', async () => (await completedCount()) >= 40 && (await consumerBacklog(jsm, s.stream)).inFlight > 0, 30_000);
    first.kill('SIGKILL');
    await first.exited;
    const inFlight = (await consumerBacklog(jsm, s.stream)).inFlight;
    const completedAtKill = await completedCount();
    assert.ok(inFlight > 0, 'tasks were in flight at the kill');

    // Another replica: the dead one's deliveries come back after the ack wait (1 s).
    await launch(s, { HOSTNAME: 'e2e-kill-2' });
    await eventually('every task completed', async () => (await completedCount()) >= sent.length, 60_000);
    await eventually('nothing pending', async () => {
      const b = await consumerBacklog(jsm, s.stream);
      return b.inFlight + b.undelivered === 0;
    }, 10_000);
    const counts = await completionsByTask(js, s.stream, filter);
    const lost = sent.filter((id) => !counts.has(id)).length;
    const duplicates = [...counts.values()].filter((c) => c > 1).length;
    const completed = sent.filter((id) => counts.has(id)).length;
    const backlog = await consumerBacklog(jsm, s.stream);
    const pending = backlog.inFlight + backlog.undelivered;
    const figures = `nats kill -9 figures: sent=${sent.length} inFlight=${inFlight} completed=${completed} lost=${lost} duplicates=${duplicates} pending=${pending}`;
    t.diagnostic(figures);
    t.diagnostic(`completed before the kill: ${completedAtKill}`);
    process.stderr.write(`${figures}\n`);
    assert.equal(lost, 0);
    assert.equal(duplicates, 0);
    assert.equal(pending, 0);
    assert.equal(completed, sent.length);
  });

  it('reports not ready while NATS is down, recovers when it restarts, and completes tasks published before and after', async () => {
    const s = space();
    const service = await launch(s, { HOSTNAME: 'e2e-restart' });
    const ready = async (): Promise<number> => (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`).catch(() => undefined))?.status ?? 0;
    const filter = workflowSubjects(s.prefix);
    await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_restart', taskId: 'task-r-1' });
    await eventually('the first completion', async () => (await completionsByTask(js, s.stream, filter)).has('task-r-1'), 10_000);
    await nats.kill();
    await eventually('/readyz fails while NATS is down', async () => (await ready()) === 503, 10_000);
    await nats.start();
    await eventually('/readyz passes again', async () => (await ready()) === 200, 20_000);
    await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_restart', taskId: 'task-r-2' });
    await eventually('the completion after the restart', async () => (await completionsByTask(js, s.stream, filter)).has('task-r-2'), 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${service.output().slice(-3000)}`);
    });
    assert.deepEqual([...(await completionsByTask(js, s.stream, filter)).values()], [1, 1]);
    assert.equal(service.child.exitCode, null, 'the service is still running');
  });

  it('SIGTERM with tasks in flight: they complete and are acknowledged before the process exits with 0', async () => {
    const s = space();
    const service = await launch(s, { HOSTNAME: 'e2e-term', EXECUTOR_CONCURRENCY: '4' });
    for (let i = 0; i < 4; i++) {
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_term', taskId: `task-term-${i}`, taskName: 'pause', taskType: 'wait', parameters: { duration: '1500ms' } });
    }
    await eventually('all four running in this replica', async () => (await consumerBacklog(jsm, s.stream)).inFlight === 4, 10_000);
    service.kill('SIGTERM');
    const code = await service.exited;
    assert.equal(code, 0, service.output().slice(-2000));
    const counts = await completionsByTask(js, s.stream, workflowSubjects(s.prefix));
    assert.deepEqual([...counts.keys()].sort(), ['task-term-0', 'task-term-1', 'task-term-2', 'task-term-3']);
    assert.deepEqual([...counts.values()], [1, 1, 1, 1]);
    const backlog = await consumerBacklog(jsm, s.stream);
    assert.equal(backlog.inFlight, 0, 'every request acknowledged');
  });
});

describe('flunq-executor dlq with EVENT_STREAM_TYPE=nats', () => {
  const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'flunq-executor.js');
  const cli = (args: string[], env: Record<string, string>): SpawnSyncReturns<string> => spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], EVENT_STREAM_TYPE: 'nats', ...env }, encoding: 'utf8', timeout: 20_000 });

  it('lists, shows and replays a dead letter the service wrote', async () => {
    const s = space();
    await launch(s, { HOSTNAME: 'e2e-dlq' });
    const env = { NATS_URL: nats.url, NATS_STREAM: s.stream, NATS_SUBJECT_PREFIX: s.prefix };
    const subject = await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_cli', taskId: 'task-bad-1', rawData: '{not json' });
    const items = await eventually('the dead letter listed', () => {
      const r = cli(['dlq', 'list', '--json'], env);
      const parsed = r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>[]) : [];
      return parsed.length > 0 && parsed;
    }, 15_000);
    assert.deepEqual(items.map((d) => [d['location'], d['taskId'], d['attempts']]), [[subject, 'task-bad-1', 1]]);
    assert.match(String(items[0]?.['reason']), /MALFORMED_EVENT/);
    const seq = String(items[0]?.['messageId']);
    const show = cli(['dlq', 'show', subject, seq], env);
    assert.equal(show.status, 0, show.stderr);
    assert.equal((JSON.parse(show.stdout) as { fields: Record<string, string> }).fields['data'], '{not json');
    const replay = cli(['dlq', 'replay', subject, seq], env);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, new RegExp(`^replayed ${subject.replace(/[.*]/g, '\\$&')} ${seq} as \\d+ \\(event id task-requested-task-bad-1-replay-1, replay 1\\)\\n$`));
  });

  it('refuses in one line, exit 2, when NATS cannot be reached', async () => {
    const port = await freePort();
    const r = cli(['dlq', 'list'], { NATS_URL: `nats://user:secret@127.0.0.1:${port}` });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `flunq-executor: cannot connect to NATS at 127.0.0.1:${port} (NATS_URL): connection refused`);
    assert.ok(!r.stderr.includes('secret'));
  });
});
