import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JetStreamClient, JetStreamManager, nanos, NatsConnection, RetentionPolicy, StorageType } from 'nats';
import { NatsDeadLetterStore } from '../../src/adapters/nats/dead-letter-store';
import { NatsTaskInbox, NatsTaskInboxOptions } from '../../src/adapters/nats/nats-task-inbox';
import { openTaskBucket } from '../../src/adapters/nats/setup';
import { workflowSubject, workflowSubjects } from '../../src/adapters/nats/subjects';
import { tenantConsumerName } from '../../src/adapters/nats/tenant-consumers';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { InboundTask } from '../../src/application/ports/task-inbox.port';
import { replace } from '../../src/config/binding';
import { createDeadLetterOperations, createExecutor, Executor } from '../../src/config/container';
import { loadConfig } from '../../src/config/env';
import { LOGGER, METRICS } from '../../src/config/tokens';
import { completedEvent } from '../../src/domain/flunq-events';
import { requestFields } from '../support/flunq';
import { InMemoryLogger } from '../support/in-memory-logger';
import { InMemoryMetrics } from '../support/in-memory-metrics';
import { streamMessages } from '../support/nats-events';
import { completionsByTask, consumerBacklog, messagesOfType, publishRequest } from '../support/nats-flunq';
import { startNats, TestNats } from '../support/nats-server';
import { eventually } from '../support/redis-server';

const COMPLETED = 'io.flunq.task.completed';
const DLQ = 'io.flunq.task.dlq';

let nats: TestNats;
let client: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let n = 0;

before(async () => {
  nats = await startNats();
  client = await nats.client();
  js = client.jetstream();
  jsm = await client.jetstreamManager();
});
after(async () => {
  await nats.stop();
});

/** A stream and subject prefix of its own, so that tests do not see each other's events. */
function space(): { stream: string; prefix: string } {
  const id = ++n;
  return { stream: `IT_${id}`, prefix: `it${id}` };
}

async function startExecutor(s: { stream: string; prefix: string }, env: Record<string, string> = {}): Promise<Executor & { logger: InMemoryLogger }> {
  const config = loadConfig({
    EVENT_STREAM_TYPE: 'nats',
    NATS_URL: nats.url,
    NATS_STREAM: s.stream,
    NATS_SUBJECT_PREFIX: s.prefix,
    HOSTNAME: 'it',
    EXECUTOR_STREAM_BLOCK: '1s',
    EXECUTOR_RECLAIM_IDLE: '1s',
    EXECUTOR_SHUTDOWN_TIMEOUT: '5s',
    RETRY_BASE_DELAY_MS: '50',
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    ...env,
  });
  const logger = new InMemoryLogger();
  const executor = await createExecutor(config, { profile: 'production', http: false, replacements: [replace(LOGGER, logger), replace(METRICS, new InMemoryMetrics())] });
  await executor.service.start();
  // The stream and consumer exist once the inbox is ready (the first read sets them up).
  await eventually('the executor ready', () => executor.inbox.isReady(), 10_000);
  return { ...executor, logger };
}

function inboxOptions(s: { stream: string; prefix: string }, overrides: Partial<NatsTaskInboxOptions> = {}): NatsTaskInboxOptions {
  return {
    connection: { url: nats.url, credsFile: undefined },
    stream: s.stream,
    subjectPrefix: s.prefix,
    durable: 'executor-service',
    consumerName: 'executor-it',
    ackWaitMs: 1000,
    maxDeliver: 10,
    blockMs: 1000,
    settledTtlMs: 60_000,
    leaseMs: 1000,
    ...overrides,
  };
}

async function receiveOne(inbox: NatsTaskInbox): Promise<InboundTask> {
  return eventually('a delivery', async () => (await inbox.receive(1, AbortSignal.timeout(1500)))[0], 10_000, 0);
}

describe('the executor on NATS JetStream (private nats-server)', () => {
  it('answers a task.requested with a task.completed on the same subject: exact headers, body, Nats-Msg-Id', async () => {
    const s = space();
    const executor = await startExecutor(s);
    try {
      const fields = requestFields({ tenant: 'acme', workflow: 'wf_wire', taskId: 'task-prepare-1', parameters: { set_data: { ok: true, n: 1 } } });
      const subject = await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_wire', taskId: 'task-prepare-1' }, fields);
      assert.equal(subject, `${s.prefix}.tenant.acme.workflow.wf_wire.events`);
      const [completion] = await eventually('the completion', async () => {
        const found = await messagesOfType(js, s.stream, subject, COMPLETED);
        return found.length > 0 && found;
      }, 10_000);
      assert.ok(completion);
      assert.equal(completion.subject, subject);
      const h = completion.headers;
      assert.ok(h);
      assert.equal(h.get('ce-specversion'), '1.0');
      assert.equal(h.get('ce-type'), COMPLETED);
      assert.equal(h.get('ce-id'), 'task-completed-task-prepare-1');
      assert.equal(h.get('ce-source'), 'executor-service');
      assert.match(h.get('ce-time'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.equal(h.get('ce-workflowid'), 'wf_wire');
      assert.equal(h.get('ce-executionid'), fields['executionid']);
      assert.equal(h.get('ce-taskid'), 'task-prepare-1');
      assert.equal(h.get('ce-tenantid'), 'acme');
      assert.equal(h.get('content-type'), 'application/json');
      assert.equal(h.get('Nats-Msg-Id'), 'task-completed-task-prepare-1');
      // The body is the domain's completion data, exactly what the stream-entry binding puts in `data`.
      const body = new TextDecoder().decode(completion.data);
      const payload = JSON.parse(body) as Record<string, unknown>;
      assert.equal(payload['task_id'], 'task-prepare-1');
      assert.equal(payload['success'], true);
      assert.equal(payload['tenant_id'], 'acme');
      assert.deepEqual(Object.keys(payload).sort(), ['attempt', 'data', 'duration_ms', 'error', 'executed_at', 'output', 'success', 'task_id', 'task_name', 'tenant_id']);
      await eventually('request and completion acknowledged', async () => {
        const b = await consumerBacklog(jsm, s.stream);
        return b.inFlight === 0 && b.undelivered === 0;
      }, 5000);
    } finally {
      await executor.service.stop();
    }
  });

  it('creates the stream with a duplicate window covering a redelivery and a whole task run, so a completion published again after a crash is dropped', async () => {
    const s = space();
    const executor = await startExecutor(s, { TASK_TIMEOUT_SECONDS: '600' });
    try {
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_window', taskId: 'task-window-1' });
      await eventually('the completion', async () => (await completionsByTask(js, s.stream, `${s.prefix}.>`)).get('task-window-1') === 1, 10_000);
      const info = await jsm.streams.info(s.stream);
      // EXECUTOR_RECLAIM_IDLE 1 s + TASK_TIMEOUT_SECONDS 600 s + one minute.
      assert.equal(info.config.duplicate_window, nanos(661_000));
    } finally {
      await executor.service.stop();
    }
  });

  it('percent-encodes tenant and workflow ids in subject tokens: the completion lands on the same subject with the ids decoded', async () => {
    const s = space();
    const executor = await startExecutor(s);
    try {
      const tenant = 'acme.eu *>';
      const workflow = 'wf_50%.x';
      const subject = await publishRequest(js, s.prefix, { tenant, workflow, taskId: 'task-enc-1' });
      assert.equal(subject, `${s.prefix}.tenant.acme%2Eeu%20%2A%3E.workflow.wf_50%25%2Ex.events`);
      const [completion] = await eventually('the completion', async () => {
        const found = await messagesOfType(js, s.stream, subject, COMPLETED);
        return found.length > 0 && found;
      }, 10_000);
      assert.equal(completion?.subject, subject);
      assert.equal(completion?.headers?.get('ce-tenantid'), tenant);
      assert.equal(completion?.headers?.get('ce-workflowid'), workflow);
    } finally {
      await executor.service.stop();
    }
  });

  it('uses an existing stream whose subjects cover the workflow subjects as is, and refuses one that does not', async () => {
    const s = space();
    await jsm.streams.add({ name: s.stream, subjects: [`${s.prefix}.>`], storage: StorageType.File, retention: RetentionPolicy.Limits, max_msgs: 12_345 });
    const executor = await startExecutor(s);
    try {
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_reuse', taskId: 'task-reuse-1' });
      await eventually('the completion', async () => (await completionsByTask(js, s.stream, `${s.prefix}.>`)).get('task-reuse-1') === 1, 10_000);
      const info = await jsm.streams.info(s.stream);
      assert.deepEqual(info.config.subjects, [`${s.prefix}.>`]);
      assert.equal(info.config.max_msgs, 12_345);
    } finally {
      await executor.service.stop();
    }

    const other = space();
    await jsm.streams.add({ name: other.stream, subjects: [`${other.prefix}.tenant.acme.>`], storage: StorageType.Memory });
    const inbox = new NatsTaskInbox(inboxOptions(other), new SystemClock(), new InMemoryLogger());
    await assert.rejects(inbox.receive(1, AbortSignal.timeout(2000)), /do not cover/);
    assert.equal(inbox.isReady(), false);
    await inbox.close();
  });

  it('keeps an existing task bucket and brings its TTL to EXECUTOR_SETTLED_TTL', async () => {
    const name = `IT_TASKS_${++n}`;
    await (await openTaskBucket(client, name, 60_000)).put('k', new TextEncoder().encode('v'));
    const again = await openTaskBucket(client, name, 3_600_000);
    assert.equal((await again.status()).ttl, 3_600_000);
    assert.equal(new TextDecoder().decode((await again.get('k'))?.value), 'v', 'the recorded values are kept');
    assert.equal((await (await openTaskBucket(client, name, 0)).status()).ttl, 0, '0: never expire');
  });

  it('dead-letters a request delivered more than EXECUTOR_MAX_DELIVERIES times (the original body byte for byte), and the dlq operations list, show and replay it', async () => {
    const s = space();
    // A replica that takes the request and dies without settling it, twice (attempts 1 and 2).
    const raw = '{"task_id":"task-poison-1","task_name":"prepare","task_type":"set","input":{},"config":{"parameters":{"set_data":{"a":1}}}, "pad": "é"}';
    const fields = { ...requestFields({ tenant: 'acme', workflow: 'wf_dlq', taskId: 'task-poison-1' }), data: raw };
    for (let attempt = 1; attempt <= 2; attempt++) {
      // The consumer layout the executor uses with fair dispatch (its default): one consumer per tenant.
      const dying = new NatsTaskInbox(inboxOptions(s, { maxDeliver: 3, perTenant: true }), new SystemClock(), new InMemoryLogger());
      await dying.connected();
      if (attempt === 1) await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_dlq', taskId: 'task-poison-1' }, fields);
      const task = await receiveOne(dying);
      assert.equal(task.attempt, attempt);
      assert.equal(await task.claim(), 'claimed');
      await dying.close();
    }
    const executor = await startExecutor(s, { EXECUTOR_MAX_DELIVERIES: '2' });
    const subject = workflowSubject(s.prefix, 'acme', 'wf_dlq');
    try {
      const info = await jsm.consumers.info(s.stream, tenantConsumerName('executor-service', 'acme'));
      assert.equal(info.config.max_deliver, 4, 'max_deliver = EXECUTOR_MAX_DELIVERIES + 2 (the dead-letter delivery and a spare)');
      const [deadLetter] = await eventually('the dead letter', async () => {
        const found = await messagesOfType(js, s.stream, subject, DLQ);
        return found.length > 0 && found;
      }, 10_000);
      assert.ok(deadLetter);
      assert.equal(Buffer.from(deadLetter.data).toString('utf8'), raw, 'the original body, byte for byte');
      const h = deadLetter.headers;
      assert.equal(h?.get('ce-id'), 'task-requested-task-poison-1');
      assert.equal(h?.get('ce-attempt'), '3');
      assert.match(h?.get('ce-reason') ?? '', /RETRIES_EXHAUSTED/);
      assert.equal(h?.get('Nats-Msg-Id'), 'task-dlq-task-requested-task-poison-1@1');
      await eventually('the failed completion', async () => (await completionsByTask(js, s.stream, subject)).get('task-poison-1') === 1, 5000);

      const store = new NatsDeadLetterStore({ connection: { url: nats.url, credsFile: undefined }, stream: s.stream, subjectPrefix: s.prefix }, new SystemClock());
      try {
        const listed = await store.list();
        assert.equal(listed.length, 1);
        assert.equal(listed[0]?.location, subject);
        assert.equal(listed[0]?.messageId, String(deadLetter.seq));
        assert.equal(listed[0]?.taskId, 'task-poison-1');
        assert.equal(listed[0]?.attempts, 3);
        const shown = await store.get(subject, String(deadLetter.seq));
        assert.equal(shown?.event.data, raw);
        assert.deepEqual(shown?.replays, []);
        assert.equal(await store.get(subject, '1'), undefined, 'the request is not a dead letter');
        const replay = await store.replay(subject, String(deadLetter.seq));
        assert.equal(replay.replay, 1);
        assert.equal(replay.eventId, 'task-requested-task-poison-1-replay-1');
        // The replay runs under its own idempotency key; its completion is not taken for a duplicate of the failed one.
        await eventually('the replay completed', async () => (await completionsByTask(js, s.stream, subject)).get('task-poison-1') === 2, 10_000);
        const completions = await messagesOfType(js, s.stream, subject, COMPLETED);
        assert.deepEqual(
          completions.map((m) => m.headers?.get('Nats-Msg-Id')),
          ['task-completed-task-poison-1', 'task-completed-task-poison-1#replay-1'],
        );
        assert.equal((await store.get(subject, String(deadLetter.seq)))?.replays[0]?.messageId, replay.messageId);
        assert.equal((await store.replay(subject, String(deadLetter.seq))).replay, 2);
      } finally {
        await store.close();
      }
      // The operator commands pick the NATS store from EVENT_STREAM_TYPE.
      const operations = await createDeadLetterOperations(loadConfig({ EVENT_STREAM_TYPE: 'nats', NATS_URL: nats.url, NATS_STREAM: s.stream, NATS_SUBJECT_PREFIX: s.prefix }));
      try {
        assert.deepEqual(
          (await operations.list.execute()).map((d) => [d.location, d.messageId]),
          [[subject, String(deadLetter.seq)]],
        );
      } finally {
        await operations.close();
      }
    } finally {
      await executor.service.stop();
    }
  });

  it('dead-letters a request larger than EXECUTOR_MAX_ENTRY_BYTES without its body, and replays it with the body of the request message', async () => {
    const s = space();
    const executor = await startExecutor(s, { EXECUTOR_MAX_ENTRY_BYTES: '1024' });
    const subject = workflowSubject(s.prefix, 'acme', 'wf_big');
    try {
      const big = requestFields({ tenant: 'acme', workflow: 'wf_big', taskId: 'task-big-1', parameters: { set_data: { blob: 'x'.repeat(2000) } } });
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_big', taskId: 'task-big-1' }, big);
      const [deadLetter] = await eventually('the dead letter', async () => {
        const found = await messagesOfType(js, s.stream, subject, DLQ);
        return found.length > 0 && found;
      }, 10_000);
      assert.ok(deadLetter);
      assert.equal(deadLetter.data.length, 0, 'the body is not stored twice');
      assert.equal(deadLetter.headers?.get('ce-data_kept_in'), '1');
      assert.equal(deadLetter.headers?.get('ce-data_omitted_bytes'), String(Buffer.byteLength(big['data'] ?? '')));
      assert.match(deadLetter.headers?.get('ce-reason') ?? '', /ENTRY_TOO_LARGE/);
      const store = new NatsDeadLetterStore({ connection: { url: nats.url, credsFile: undefined }, stream: s.stream, subjectPrefix: s.prefix }, new SystemClock());
      try {
        const replay = await store.replay(subject, String(deadLetter.seq));
        const replayed = (await streamMessages(js, s.stream, subject)).find((m) => String(m.seq) === replay.messageId);
        assert.equal(new TextDecoder().decode(replayed?.data), big['data'], 'the replay carries the request body');
        assert.equal(replayed?.headers?.get('ce-type'), 'io.flunq.task.requested');
        assert.equal(replayed?.headers?.has('ce-data_kept_in'), false);
      } finally {
        await store.close();
      }
    } finally {
      await executor.service.stop();
    }
  });

  it('dead-letters a task whose completion exceeds the server\'s max_payload (PUBLICATION_FAILED), with a failed completion', async () => {
    const s = space();
    const executor = await startExecutor(s);
    const subject = workflowSubject(s.prefix, 'acme', 'wf_huge');
    try {
      // About 600 KB of request; its completion repeats it as input and output, beyond the 1 MB default.
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_huge', taskId: 'task-huge-1', parameters: { set_data: { blob: 'x'.repeat(600_000) } } });
      const [deadLetter] = await eventually('the dead letter', async () => {
        const found = await messagesOfType(js, s.stream, subject, DLQ);
        return found.length > 0 && found;
      }, 20_000);
      assert.match(deadLetter?.headers?.get('ce-reason') ?? '', /PUBLICATION_FAILED/);
      await eventually('the failed completion', async () => {
        const [completion] = await messagesOfType(js, s.stream, subject, COMPLETED);
        return completion !== undefined && (JSON.parse(new TextDecoder().decode(completion.data)) as { success: boolean }).success === false;
      }, 10_000);
    } finally {
      await executor.service.stop();
    }
  });

  for (const step of ['published', 'recorded'] as const) {
    it(`a crash between publishing the outcome and acknowledging (after it was ${step}) never loses the outcome and never publishes it twice`, async () => {
      const s = space();
      const crashing = new NatsTaskInbox(
        inboxOptions(s, {
          afterStep: (at) => (at === step ? Promise.reject(new Error(`crash after ${at}`)) : Promise.resolve()),
        }),
        new SystemClock(),
        new InMemoryLogger(),
      );
      await crashing.connected();
      const subject = await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_crash', taskId: 'task-crash-1' });
      const first = await receiveOne(crashing);
      assert.equal(await first.claim(), 'claimed');
      const completion = completedEvent({ taskId: 'task-crash-1', taskName: 'prepare', workflowId: 'wf_crash', executionId: 'ex_1', tenantId: 'acme' }, { task_id: 'task-crash-1', success: true } as never, Date.now());
      await assert.rejects(first.complete(completion), /crash after/);
      await crashing.close();

      const next = new NatsTaskInbox(inboxOptions(s), new SystemClock(), new InMemoryLogger());
      try {
        const again = await receiveOne(next);
        assert.equal(again.attempt, 2);
        const claim = await again.claim();
        if (step === 'recorded') {
          assert.equal(claim, 'settled', 'the recorded outcome is seen');
          await again.discard();
        } else {
          assert.equal(claim, 'claimed', 'the same message takes its claim over');
          await again.complete(completion);
        }
        const completions = await messagesOfType(js, s.stream, subject, COMPLETED);
        assert.equal(completions.length, 1, 'exactly one completion');
        await eventually('nothing left', async () => {
          const b = await consumerBacklog(jsm, s.stream);
          return b.inFlight === 0;
        }, 5000);
      } finally {
        await next.close();
      }
    });
  }

  it('sets the consumer up again when it is deleted while the executor runs, without running settled tasks again', async () => {
    const s = space();
    const executor = await startExecutor(s);
    const filter = workflowSubjects(s.prefix);
    try {
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_gone', taskId: 'task-gone-1' });
      await eventually('the first completion', async () => (await completionsByTask(js, s.stream, filter)).get('task-gone-1') === 1, 10_000);
      // Fair dispatch (the default) reads through one consumer per tenant.
      await jsm.consumers.delete(s.stream, tenantConsumerName('executor-service', 'acme'));
      await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_gone', taskId: 'task-gone-2' });
      await eventually('the second completion', async () => (await completionsByTask(js, s.stream, filter)).get('task-gone-2') === 1, 20_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${JSON.stringify(executor.logger.records.slice(-10))}`);
      });
      // The new consumer reads from the start: the first task is found settled, not run again.
      await eventually('everything read again and acknowledged', async () => {
        const b = await consumerBacklog(jsm, s.stream);
        return b.inFlight + b.undelivered === 0;
      }, 10_000);
      assert.equal((await completionsByTask(js, s.stream, filter)).get('task-gone-1'), 1);
    } finally {
      await executor.service.stop();
    }
  });

  it('reconnects when the server restarts: readiness false while it is down, true again, nothing lost', async () => {
    const s = space();
    const executor = await startExecutor(s);
    try {
      await eventually('ready', () => executor.inbox.isReady(), 10_000);
      for (let i = 0; i < 5; i++) await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_restart', taskId: `task-before-${i}` });
      const filter = workflowSubjects(s.prefix);
      await eventually('completions before the restart', async () => (await completionsByTask(js, s.stream, filter)).size === 5, 10_000);
      await nats.kill();
      await eventually('not ready while the server is down', () => !executor.inbox.isReady(), 10_000);
      await nats.start();
      await eventually('ready again', () => executor.inbox.isReady(), 15_000);
      for (let i = 0; i < 5; i++) await publishRequest(js, s.prefix, { tenant: 'acme', workflow: 'wf_restart', taskId: `task-after-${i}` });
      const counts = await eventually(
        'completions after the restart',
        async () => {
          const c = await completionsByTask(js, s.stream, filter);
          return c.size === 10 && c;
        },
        20_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${JSON.stringify(executor.logger.records.slice(-20))}`);
      });
      assert.deepEqual([...counts.values()].filter((c) => c !== 1), [], 'each task completed once');
      assert.equal((await streamMessages(js, s.stream, filter)).length, 20);
    } finally {
      await executor.service.stop();
    }
  });
});
