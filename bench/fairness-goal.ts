/**
 * Two tenants on one executor (EXECUTOR_CONCURRENCY=10). A busy tenant keeps a backlog of
 * 2 s `wait` tasks over 20 workflows; a small tenant sends `set` tasks at 4 per second. Figures:
 * the small tenant's latency (request entry → completion entry) and the busy tenant's throughput
 * against the ideal 10 slots / 2 s = 5 tasks/s, with fair dispatch on and off.
 */
import Redis from 'ioredis';
import type { Row } from './run';
import { startChild } from './lib/child-process';
import { GROUP, streamKey } from './lib/fixtures';
import { PrivateRedis } from './lib/redis-server';
import { summarize, LatencySummary } from './lib/stats';

export interface FairnessGoalContext {
  quick: boolean;
  rows: Row[];
  notes: string[];
  log(message: string): void;
}

const CONCURRENCY = 10;
const WAIT_S = 2;
const WORKFLOWS = 20;
const SMALL_PER_SECOND = 4;

function request(tenant: string, workflow: string, taskId: string, taskType: 'set' | 'wait'): string[] {
  const data = {
    task_id: taskId,
    task_name: tenant,
    task_type: taskType,
    tenant_id: tenant,
    workflow_id: workflow,
    execution_id: `ex_${workflow}`,
    input: {},
    context: { variables: {} },
    config: { timeout: 300, parameters: taskType === 'wait' ? { duration: `${WAIT_S}s` } : { set_data: { ok: true } } },
  };
  return ['id', `task-requested-${taskId}`, 'source', 'worker-service', 'specversion', '1.0', 'type', 'io.flunq.task.requested', 'time', new Date().toISOString(), 'workflowid', workflow, 'executionid', `ex_${workflow}`, 'taskid', taskId, 'tenantid', tenant, 'data', JSON.stringify(data)];
}

interface FairnessRun {
  small: LatencySummary;
  smallDone: number;
  smallSent: number;
  /** Busy tenant completions within the window, and what all ten slots would complete in it. */
  busyDone: number;
  idealDone: number;
}

async function oneRun(server: PrivateRedis, redis: Redis, seconds: number, fair: boolean): Promise<FairnessRun> {
  await redis.flushall();
  const busy = Array.from({ length: WORKFLOWS }, (_, i) => streamKey(`wf_busy_${i}`, 'busy'));
  const small = streamKey('wf_small', 'small');
  for (const stream of [...busy, small]) await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
  const child = startChild(
    { mode: 'executor', redisUrl: server.url, streams: [...busy, small], target: Number.MAX_SAFE_INTEGER, env: { EXECUTOR_CONCURRENCY: String(CONCURRENCY), EXECUTOR_FAIR_DISPATCH: String(fair), LOG_LEVEL: 'warn', EXECUTOR_SHUTDOWN_TIMEOUT: '5s' } },
    60_000 + seconds * 3000,
  );
  // Half a wave past the last full one: synchronized waves of 2 s tasks end well inside it.
  const windowMs = seconds * 1000 + (WAIT_S * 1000) / 2;
  try {
    await child.ready;
    child.go();
    await new Promise((r) => setTimeout(r, 1000));
    // The busy backlog first (enough for the whole window, written at once); the small tenant turns
    // up 900 ms later, once every slot is taken, in the middle of a wave of 2 s tasks.
    const smallSent = Math.round(seconds * SMALL_PER_SECOND);
    const sendSmall = async (): Promise<void> => {
      for (let i = 0; i < smallSent; i++) {
        await redis.xadd(small, '*', ...request('small', 'wf_small', `task-small-${i}`, 'set'));
        await new Promise((r) => setTimeout(r, 1000 / SMALL_PER_SECOND));
      }
    };
    const pipeline = redis.pipeline();
    const backlog = Math.ceil((CONCURRENCY / WAIT_S) * seconds * 1.5);
    for (let i = 0; i < backlog; i++) pipeline.xadd(busy[i % WORKFLOWS] as string, '*', ...request('busy', `wf_busy_${i % WORKFLOWS}`, `task-busy-${i}`, 'wait'));
    const added = (await pipeline.exec()) ?? [];
    const t0 = Number(String(added[0]?.[1]).split('-')[0]);
    await new Promise((r) => setTimeout(r, 900));
    await sendSmall();
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + windowMs + 1000 - Date.now())));
    child.stop();
    await child.done;
    await child.exited;
    let busyDone = 0;
    for (const stream of busy) {
      for (const [id, flat] of await redis.xrange(stream, '-', '+')) if (flat.includes('io.flunq.task.completed') && Number(id.split('-')[0]) - t0 <= windowMs) busyDone++;
    }
    const requested = new Map<string, number>();
    const latencies: number[] = [];
    for (const [id, flat] of await redis.xrange(small, '-', '+')) {
      const taskId = flat[flat.indexOf('taskid') + 1] ?? '';
      const ms = Number(id.split('-')[0]);
      if (flat.includes('io.flunq.task.completed')) latencies.push(ms - (requested.get(taskId) ?? ms));
      else requested.set(taskId, ms);
    }
    return { small: summarize(latencies), smallDone: latencies.length, smallSent, busyDone, idealDone: Math.floor(windowMs / (WAIT_S * 1000)) * CONCURRENCY };
  } catch (error) {
    child.kill();
    throw error;
  }
}

export async function runFairnessGoal(server: PrivateRedis, redis: Redis, ctx: FairnessGoalContext): Promise<void> {
  const seconds = ctx.quick ? 10 : 20;
  const results: Record<string, FairnessRun> = {};
  for (const fair of [true, false]) {
    const r = await oneRun(server, redis, seconds, fair);
    results[String(fair)] = r;
    ctx.log(`  tenants: fair dispatch ${fair ? 'on ' : 'off'}  small p50 ${r.small.p50} p99 ${r.small.p99} max ${r.small.max} ms (${r.smallDone}/${r.smallSent} completed)  busy ${r.busyDone} tasks in the window (ideal ${r.idealDone})`);
  }
  const on = results['true'] as FairnessRun;
  const off = results['false'] as FairnessRun;
  const missing = (r: FairnessRun): string => (r.smallDone < r.smallSent ? ` (${r.smallSent - r.smallDone} not done)` : '');
  ctx.rows.push({ goal: 'tenants', metric: 'small tenant p50 / p99 ms', executor: `${on.small.p50} / ${on.small.p99}${missing(on)}`, baseline: `${off.small.p50} / ${off.small.p99}${missing(off)} (fair off)`, ratio: '', target: 'p99 < 1000', met: on.smallDone === on.smallSent && on.small.p99 < 1000 ? 'yes' : 'no' });
  const ratio = on.busyDone / on.idealDone;
  ctx.rows.push({ goal: 'tenants', metric: 'busy tenant tasks vs ideal', executor: String(on.busyDone), baseline: `${on.idealDone} ideal, ${off.busyDone} fair off`, ratio: ratio.toFixed(2), target: '≥ 0.80', met: ratio >= 0.8 ? 'yes' : 'no' });
  ctx.notes.push(`tenants: EXECUTOR_CONCURRENCY=${CONCURRENCY}; busy tenant ${WAIT_S} s wait tasks over ${WORKFLOWS} workflows, small tenant ${SMALL_PER_SECOND} set tasks/s for ${seconds} s (ideal: ${CONCURRENCY} slots / ${WAIT_S} s, counted in a window of ${seconds + WAIT_S / 2} s); latencies from Redis entry ids.`);
}
