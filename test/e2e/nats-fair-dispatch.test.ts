/**
 * Fair dispatch across tenants on NATS JetStream, end to end: the built service with
 * EXECUTOR_CONCURRENCY=10 and a private nats-server, as test/e2e/fair-dispatch.test.ts does on Redis.
 * A busy tenant keeps every slot full of 2 s `wait` tasks over 20 workflows while a small tenant
 * sends 40 `set` tasks at 4 per second: the small tenant's tasks must still complete within a
 * second (p99), and the busy tenant must keep at least 80 % of the throughput it has alone.
 *
 * `E2E_FAIR_DISPATCH=false` runs the same test with fair dispatch off (EXECUTOR_FAIR_DISPATCH=false,
 * one consumer over every subject, read in stream order): it then fails, which shows what the test
 * measures.
 */
import { after, before, describe, it } from 'node:test';
import { JetStreamClient, JsMsg, NatsConnection } from 'nats';
import { streamMessages } from '../support/nats-events';
import { publishRequest } from '../support/nats-flunq';
import { startNats, TestNats } from '../support/nats-server';
import { eventually } from '../support/redis-server';
import { assertFair, BUSY_TASKS, CONCURRENCY, FairnessRun, latencies, SMALL_EVERY_MS, SMALL_STARTS_AFTER_MS, SMALL_TASKS, WAIT_S, WINDOW_MS } from '../support/fairness';
import { buildService, ServiceProcess, startService } from '../support/service-process';

const COMPLETED = 'io.flunq.task.completed';
const WORKFLOWS = 20;

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;

before(async () => {
  buildService();
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
});
after(async () => {
  await nats.stop();
});

/** Milliseconds of a message's stream timestamp (the server's clock: requests and completions are compared on it). */
function msOf(m: JsMsg): number {
  return m.info.timestampNanos / 1e6;
}

async function launch(stream: string, prefix: string): Promise<ServiceProcess> {
  const service = await startService({
    EVENT_STREAM_TYPE: 'nats',
    NATS_URL: nats.url,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: prefix,
    HOSTNAME: 'nats-fair-e2e',
    EXECUTOR_CONCURRENCY: String(CONCURRENCY),
    EXECUTOR_STREAM_BLOCK: '1s',
    EXECUTOR_SHUTDOWN_TIMEOUT: '5s',
    EXECUTOR_FAIR_DISPATCH: process.env['E2E_FAIR_DISPATCH'] ?? 'true',
    LOG_LEVEL: 'warn',
  });
  await eventually('the service to be ready', async () => (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`).catch(() => undefined))?.ok, 20_000, 100).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${service.output().slice(-3000)}`);
  });
  return service;
}

/**
 * One measurement on a stream of its own: the busy tenant's tasks over 20 workflows (published at
 * once, round robin), and, unless `alone`, the small tenant's tasks at 4 per second from
 * SMALL_STARTS_AFTER_MS later: a tenant the executor has never seen (its consumer does not exist yet).
 */
async function measure(label: string, alone: boolean): Promise<FairnessRun> {
  const stream = `FAIR_${label}`;
  const prefix = `fair${label}`;
  const service = await launch(stream, prefix);
  try {
    const sendSmall = async (): Promise<void> => {
      for (let i = 0; i < SMALL_TASKS; i++) {
        await publishRequest(js, prefix, { tenant: 'small', workflow: 'wf_small', taskId: `task-small-${i}`, taskName: 'small', parameters: { set_data: { i } } });
        await new Promise((resolve) => setTimeout(resolve, SMALL_EVERY_MS));
      }
    };
    const started = Date.now();
    await Promise.all(
      Array.from({ length: BUSY_TASKS }, (_, i) =>
        publishRequest(js, prefix, { tenant: 'busy', workflow: `wf_${i % WORKFLOWS}`, taskId: `task-busy-${i}`, taskName: 'busy', taskType: 'wait', parameters: { duration: `${WAIT_S}s` } }),
      ),
    );
    // The small tenant turns up once the busy tenant holds every slot, in the middle of a wave of
    // its 2 s tasks: nothing of it was seen before.
    await new Promise((resolve) => setTimeout(resolve, SMALL_STARTS_AFTER_MS));
    if (!alone) await sendSmall();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + WINDOW_MS + 1_500 - Date.now())));

    const busy = await streamMessages(js, stream, `${prefix}.tenant.busy.workflow.*.events`);
    const t0 = Math.min(...busy.filter((m) => m.headers?.get('ce-type') !== COMPLETED).map(msOf));
    const busyDone = busy.filter((m) => m.headers?.get('ce-type') === COMPLETED && msOf(m) - t0 <= WINDOW_MS).length;
    let small: number[] = [];
    if (!alone) {
      const messages = await streamMessages(js, stream, `${prefix}.tenant.small.workflow.*.events`);
      const at = (completions: boolean): Map<string, number> => new Map(messages.filter((m) => (m.headers?.get('ce-type') === COMPLETED) === completions).map((m) => [m.headers?.get('ce-taskid') ?? '', msOf(m)]));
      small = latencies(at(false), at(true));
    }
    return { busyPerSecond: busyDone / (WINDOW_MS / 1000), small };
  } finally {
    service.kill('SIGTERM');
    await service.exited;
  }
}

describe('fair dispatch across tenants (built service, private nats-server)', () => {
  let alone: FairnessRun;

  before(async () => {
    alone = await measure('alone', true);
  });

  it(`keeps a small tenant's latency low next to a busy tenant of ${WORKFLOWS} workflows, which keeps ≥ 80 % of its throughput`, async () => {
    const run = await measure('mixed', false);
    assertFair('nats fairness figures', run, alone);
  });
});
