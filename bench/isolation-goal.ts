/**
 * Hostile probes, one at a time, against the built service on a private Redis, beside a steady
 * stream of ordinary tasks from other tenants (20 tasks/s over four workflows, half with a jq
 * expression): for each probe, its outcome and how long it took, and the other tasks' latency
 * while it ran against their latency before it. The figures of the isolation work come from here.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, PrivateRedis } from './lib/redis-server';
import { summarize, table } from './lib/stats';

export interface IsolationGoalContext {
  quick: boolean;
  notes: string[];
  log(message: string): void;
}

interface Probe {
  name: string;
  /** The request's `data` (or a raw text) and its task type. */
  data: Record<string, unknown> | string;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EVIL = 'tenant:evil:workflow:wf_probe:events';

function fields(stream: string, taskId: string, data: Record<string, unknown> | string): string[] {
  const [, tenant, , workflow] = stream.split(':');
  const body = typeof data === 'string' ? data : JSON.stringify({ task_id: taskId, task_name: 'probe', tenant_id: tenant, workflow_id: workflow, execution_id: 'ex_1', input: {}, context: { variables: {} }, config: { timeout: 5 }, ...data });
  return ['id', `task-requested-${taskId}`, 'source', 'worker-service', 'specversion', '1.0', 'type', 'io.flunq.task.requested', 'time', '2026-01-01T00:00:00Z', 'workflowid', workflow ?? '', 'executionid', 'ex_1', 'taskid', taskId, 'tenantid', tenant ?? '', 'data', body];
}

function nested(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

function probes(): Probe[] {
  const deep = (where: 'input' | 'parameters'): string => {
    const inner = `"deep":${nested(100_000)}`;
    return where === 'input'
      ? `{"task_id":"T","task_name":"probe","task_type":"set","workflow_id":"wf_probe","execution_id":"ex_1","input":{${inner}},"config":{"timeout":5,"parameters":{"a":1}}}`
      : `{"task_id":"T","task_name":"probe","task_type":"set","workflow_id":"wf_probe","execution_id":"ex_1","input":{},"config":{"timeout":5,"parameters":{${inner}}}}`;
  };
  const set = (expression: string): Record<string, unknown> => ({ task_type: 'set', config: { timeout: 5, parameters: { v: `\${ ${expression} }` } } });
  return [
    { name: '`${ def f: f; f }`', data: set('def f: f; f') },
    { name: '`${ repeat(.) }`', data: set('repeat(.) | 1') },
    { name: '`${ [repeat(.)] }`', data: set('[repeat(.)]') },
    { name: '`${ last(range(1e12)) }`', data: set('last(range(1e12))') },
    { name: '`${ [range(1e6)] | length }`', data: set('[range(1e6)] | length') },
    { name: 'ten chained backtracking `test()` calls', data: set(`[range(10)] | map("${'a'.repeat(30)}!" | test("(a+)+b"))`) },
    { name: 'catch filter `(a+)+b` against `aaa…!`', data: { task_type: 'try', input: { try_catch_config: { try: { wait: `${'a'.repeat(34)}!` }, catch: { errors: { with: { details: '(a+)+b' } } } } } } },
    { name: '100,000 nesting levels in `input`', data: deep('input') },
    { name: '100,000 nesting levels in `config.parameters`', data: deep('parameters') },
    { name: 'one 50 MB entry', data: { task_type: 'set', config: { timeout: 5, parameters: { blob: 'x'.repeat(50 * 1024 * 1024) } } } },
  ];
}

function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

export async function runIsolationGoal(ctx: IsolationGoalContext): Promise<void> {
  const main = path.join(ROOT, '.tmp', 'bench-build', 'src', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run through npm run bench`);
  const server = await PrivateRedis.start();
  const redis = server.client();
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', REDIS_URL: `127.0.0.1:${server.port}`, HOSTNAME: 'isolation', EXECUTOR_CONCURRENCY: '16', EXECUTOR_STREAM_BLOCK: '200ms', TASK_TIMEOUT_SECONDS: '5', HEALTH_PORT: String(port), METRICS_PORT: String(port), HEALTH_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rows: string[][] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const streams = ['acme', 'globex', 'initech', 'umbrella'].map((t) => `tenant:${t}:workflow:wf_steady:events`);
    const sent: { stream: string; taskId: string; id: string; at: number }[] = [];
    let n = 0;
    let stop = false;
    const steady = (async () => {
      while (!stop) {
        const stream = streams[n % streams.length] as string;
        const taskId = `task-steady-${1756150540123456789n + BigInt(n)}`;
        const expression = n % 2 === 0 ? '${ .task_input.n }' : '${ .task_input.n + 1 }';
        const id = (await redis.xadd(stream, '*', ...fields(stream, taskId, { task_type: 'set', input: { n }, config: { timeout: 5, parameters: { v: expression } } }))) as string;
        sent.push({ stream, taskId, id, at: idTime(id) });
        n++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const latencies = async (from: number, to: number): Promise<number[]> => {
      const out: number[] = [];
      const done = new Map<string, number>();
      for (const stream of streams) {
        for (const [id, flat] of await redis.xrange(stream, '-', '+')) {
          const i = flat.indexOf('taskid');
          if (flat[flat.indexOf('type') + 1] === 'io.flunq.task.completed' && i >= 0) done.set(flat[i + 1] as string, idTime(id));
        }
      }
      for (const s of sent) if (s.at >= from && s.at < to) out.push((done.get(s.taskId) ?? Date.now()) - s.at);
      return out;
    };
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    let k = 0;
    for (const probe of probes()) {
      const baselineFrom = Date.now() - 2_000;
      const taskId = `task-probe${++k}-1756150540123456789`;
      const data = typeof probe.data === 'string' ? probe.data.replace('"T"', JSON.stringify(taskId)) : probe.data;
      const started = Date.now();
      const requestId = (await redis.xadd(EVIL, '*', ...fields(EVIL, taskId, data))) as string;
      let outcome = 'no outcome within 20 s';
      let tookMs = NaN;
      for (let i = 0; i < 400; i++) {
        const entries = await redis.xrange(EVIL, requestId, '+');
        const completion = entries.find(([, flat]) => flat[flat.indexOf('type') + 1] === 'io.flunq.task.completed' && flat[flat.indexOf('taskid') + 1] === taskId);
        if (completion) {
          const payload = JSON.parse(completion[1][completion[1].indexOf('data') + 1] as string) as { success: boolean; error_details?: { data?: { code?: string } } };
          const dead = entries.some(([, flat]) => flat[flat.indexOf('type') + 1] === 'io.flunq.task.dlq' && flat[flat.indexOf('taskid') + 1] === taskId);
          outcome = payload.success ? 'success' : `failed ${payload.error_details?.data?.code ?? ''}${dead ? ' + dead letter' : ''}`;
          tookMs = idTime(completion[0]) - idTime(requestId);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const ended = Math.max(Date.now(), started + 1_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const before = summarize(await latencies(baselineFrom, started));
      const during = summarize(await latencies(started, ended));
      rows.push([probe.name, outcome, Number.isFinite(tookMs) ? String(tookMs) : '-', `${before.p50.toFixed(0)} / ${before.p99.toFixed(0)}`, `${during.p50.toFixed(0)} / ${during.p99.toFixed(0)} / ${during.max.toFixed(0)}`, String(during.count)]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    stop = true;
    await steady;
    // The CLI with a looping expression and TASK_TIMEOUT_SECONDS=3 (it ran for ever before).
    const cli = path.join(ROOT, '.tmp', 'bench-build', 'src', 'cli', 'flunq-executor.js');
    const file = path.join(os.tmpdir(), `flunq-loop-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ task_type: 'set', config: { parameters: { v: '${ def f: f; f }' } } }));
    const t = Date.now();
    const run = spawnSync(process.execPath, [cli, 'run', file], { env: { PATH: process.env['PATH'] ?? '', TASK_TIMEOUT_SECONDS: '3' }, encoding: 'utf8', timeout: 60_000 });
    const code = /"code":\s*"([A-Z_]+)"/.exec(run.stdout)?.[1] ?? '';
    rows.push(['CLI `run` with `${ def f: f; f }`, TASK_TIMEOUT_SECONDS=3', `exit ${run.status} (${code})`, String(Date.now() - t), '-', '-', '-']);
    const zero = spawnSync(process.execPath, [cli, 'run', '/dev/zero'], { encoding: 'utf8', timeout: 60_000 });
    rows.push(['CLI `run /dev/zero`', `exit ${zero.status}: ${zero.stderr.trim()}`, '-', '-', '-', '-']);
  } finally {
    child.kill('SIGTERM');
    redis.disconnect();
    await server.stop();
  }
  ctx.log(table(['probe', 'outcome', 'ms to outcome', 'others p50/p99 before', 'others p50/p99/max during', 'others during'], rows));
  ctx.notes.push('isolation: one probe at a time, 20 ordinary tasks/s from four other tenants; latency in ms from the request entry to its completion entry (Redis server clock)');
}
