/**
 * Fair dispatch across tenants, end to end: the built service with EXECUTOR_CONCURRENCY=10 and a
 * private Redis. A busy tenant keeps every slot full of 2 s `wait` tasks while a small tenant sends
 * 40 `set` tasks at 4 per second: the small tenant's tasks must still complete within a second
 * (p99), and the busy tenant must keep at least 80 % of the throughput it has alone.
 *
 * `E2E_FAIR_DISPATCH=false` runs the same test with fair dispatch off (EXECUTOR_FAIR_DISPATCH=false):
 * it then fails, which shows what the test measures.
 */
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { readStream, requestFields, streamKey } from '../support/flunq';
import { eventually, startRedis, TestRedis } from '../support/redis-server';
import { assertFair, BUSY_TASKS, CONCURRENCY, FairnessRun, latencies, SMALL_EVERY_MS, SMALL_STARTS_AFTER_MS, SMALL_TASKS, WAIT_S, WINDOW_MS } from '../support/fairness';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const COMPLETED = 'io.flunq.task.completed';

let redis: TestRedis;
let client: Redis;

before(async () => {
  buildService();
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  await redis.stop();
});

/** Milliseconds of a Redis entry id (the server's clock: requests and completions are compared on it). */
function msOf(entryId: string): number {
  return Number(entryId.split('-')[0]);
}

async function launch(): Promise<ServiceProcess> {
  const service = await startService({
    REDIS_URL: redis.url,
    HOSTNAME: 'fair-e2e',
    EXECUTOR_CONCURRENCY: String(CONCURRENCY),
    EXECUTOR_SHUTDOWN_TIMEOUT: '5s',
    EXECUTOR_FAIR_DISPATCH: process.env['E2E_FAIR_DISPATCH'] ?? 'true',
    LOG_LEVEL: 'warn',
  });
  await eventually('the service to be ready', async () => (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`).catch(() => undefined))?.ok, 20_000, 100);
  return service;
}

/**
 * One measurement: the busy tenant's tasks over `workflows` workflows (XADDed at once, round robin),
 * and, unless `alone`, the small tenant's tasks at 4 per second from SMALL_STARTS_AFTER_MS later.
 */
async function measure(label: string, workflows: number, alone: boolean): Promise<FairnessRun> {
  // The backlog of an earlier measurement would be a third tenant.
  await client.flushall();
  const service = await launch();
  try {
    const busyStreams = Array.from({ length: workflows }, (_, i) => streamKey(`busy-${label}`, `wf_${i}`));
    const smallStream = streamKey(`small-${label}`, 'wf_small');
    const sendSmall = async (): Promise<void> => {
      for (let i = 0; i < SMALL_TASKS; i++) {
        const fields = requestFields({ tenant: `small-${label}`, workflow: 'wf_small', taskId: `task-small-${i}`, taskName: 'small', parameters: { set_data: { i } } });
        await client.xadd(smallStream, '*', ...Object.entries(fields).flat());
        await new Promise((resolve) => setTimeout(resolve, SMALL_EVERY_MS));
      }
    };
    const pipeline = client.pipeline();
    for (let i = 0; i < BUSY_TASKS; i++) {
      const workflow = `wf_${i % workflows}`;
      const fields = requestFields({ tenant: `busy-${label}`, workflow, taskId: `task-busy-${i}`, taskName: 'busy', taskType: 'wait', parameters: { duration: `${WAIT_S}s` } });
      pipeline.xadd(busyStreams[i % workflows] as string, '*', ...Object.entries(fields).flat());
    }
    const added = (await pipeline.exec()) ?? [];
    const t0 = msOf(String(added[0]?.[1]));
    // The small tenant turns up once the busy tenant holds every slot, in the middle of a wave of
    // its 2 s tasks (they start together, so they also end together): nothing of it was seen before.
    await new Promise((resolve) => setTimeout(resolve, SMALL_STARTS_AFTER_MS));
    if (!alone) await sendSmall();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + WINDOW_MS + 1_500 - Date.now())));

    let busyDone = 0;
    for (const stream of busyStreams) {
      for (const e of await readStream(client, stream)) if (e.fields['type'] === COMPLETED && msOf(e.id) - t0 <= WINDOW_MS) busyDone++;
    }
    let small: number[] = [];
    if (!alone) {
      const entries = await readStream(client, smallStream);
      const at = (completions: boolean): Map<string, number> => new Map(entries.filter((e) => (e.fields['type'] === COMPLETED) === completions).map((e) => [e.fields['taskid'] ?? '', msOf(e.id)]));
      small = latencies(at(false), at(true));
    }
    return { busyPerSecond: busyDone / (WINDOW_MS / 1000), small };
  } finally {
    service.kill('SIGTERM');
    await service.exited;
  }
}

describe('fair dispatch across tenants (built service, private Redis)', () => {
  let alone: FairnessRun;

  before(async () => {
    alone = await measure('alone', 20, true);
  });

  for (const workflows of [20, 200]) {
    it(`keeps a small tenant's latency low next to a busy tenant of ${workflows} workflows, which keeps ≥ 80 % of its throughput`, async () => {
      const run = await measure(`wf${workflows}`, workflows, false);
      assertFair(`fairness figures (${workflows} busy workflows)`, run, alone);
    });
  }
});
