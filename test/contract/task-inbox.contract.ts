import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { InboundTask, TaskInbox } from '../../src/application/ports/task-inbox.port';
import { FlunqEvent, TASK_COMPLETED, TASK_DLQ, TASK_REQUESTED } from '../../src/domain/flunq-event';

/** A workflow's place in the backend: where its events are published. */
export interface Workflow {
  tenant: string;
  workflow: string;
}

/** What the inbox contract needs from a backend under test; one harness per test. */
export interface InboxHarness {
  /** How long an unsettled delivery of a stopped replica waits before another replica gets it (ms). */
  readonly redeliverAfterMs: number;
  /** How long one receive waits for new messages at most (ms of the harness's clock). */
  readonly blockMs: number;
  /** Whether `blockMs` passes in real time (false: a fake clock, which does not move by itself). */
  readonly realTime: boolean;
  /**
   * The inbox of one replica (`replica` names it; replicas of one `group` share the work). With
   * `workflows` it reads exactly those; without, it discovers every workflow, including new ones.
   */
  inbox(replica: string, options?: { workflows?: Workflow[]; group?: string }): Promise<TaskInbox>;
  /** A workflow no other test uses. */
  newWorkflow(): Workflow;
  /** Publishes an event as the flunq worker (or another executor) would. */
  publish(workflow: Workflow, event: FlunqEvent): Promise<void>;
  /** Every event of the workflow, in order. */
  events(workflow: Workflow): Promise<FlunqEvent[]>;
  /** Lets `ms` pass (fake clock or real time). */
  elapse(ms: number): Promise<void>;
  /** Stops a replica without settling anything (a crash). */
  crash(inbox: TaskInbox): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

function requestEvent(w: Workflow, taskId: string, extensions: Record<string, string> = {}): FlunqEvent {
  return {
    id: `task-requested-${taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: TASK_REQUESTED,
    time: '2025-08-25T19:35:40Z',
    workflowId: w.workflow,
    executionId: 'ex_contract',
    taskId,
    tenantId: w.tenant,
    data: JSON.stringify({ task_id: taskId, task_name: 'x', task_type: 'set', input: {}, config: { parameters: { a: 1 } } }),
    extensions,
  };
}

function completionOf(request: FlunqEvent): FlunqEvent {
  return { ...request, id: `task-completed-${request.taskId}`, source: 'executor-service', type: TASK_COMPLETED, data: JSON.stringify({ task_id: request.taskId, success: true }), extensions: {} };
}

function newTaskId(): string {
  return `task-x-${1756150540123456789n + BigInt(++seq)}`;
}

/** A signal that aborts after `ms` of real time (its timer keeps the event loop alive under a fake clock). */
function within(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('timeout')), ms);
  return controller.signal;
}

/** Receives until `n` tasks arrived (or a real-time deadline), checking that no call returns more than `max`. */
async function receiveN(inbox: TaskInbox, n: number, max = 10, deadlineMs = 5000): Promise<InboundTask[]> {
  const out: InboundTask[] = [];
  const deadline = Date.now() + deadlineMs;
  while (out.length < n && Date.now() < deadline) {
    const batch = await inbox.receive(max, within(300));
    assert.ok(batch.length <= max, `receive(${max}) returned ${batch.length}`);
    out.push(...batch);
  }
  return out;
}

/** Everything received within `ms` of real time. */
async function receiveFor(inbox: TaskInbox, ms: number): Promise<InboundTask[]> {
  const out: InboundTask[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) out.push(...(await inbox.receive(10, within(Math.max(1, deadline - Date.now())))));
  return out;
}

/** The ids of the task requests among deliveries. */
function requests(tasks: InboundTask[]): string[] {
  return tasks.filter((t) => t.event.type === TASK_REQUESTED).map((t) => t.event.id);
}

/**
 * What a backend can do beyond the port's core; a case that needs more than the backend has is
 * skipped with its reason.
 */
export interface InboxCapabilities {
  /**
   * A new consumer group learns from a workflow's history which requests already have an outcome
   * next to them (published by any executor). Backends that record outcomes per group elsewhere
   * (a key-value bucket) start with none.
   */
  outcomesFromHistory: boolean;
}

/** The TaskInbox port contract, run against every backend. */
export function describeTaskInboxContract(name: string, factory: () => Promise<InboxHarness>, capabilities: InboxCapabilities = { outcomesFromHistory: true }): void {
  describe(`task inbox contract: ${name}`, () => {
    let h: InboxHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers a published request as an inbound task: the event as sent, attempt 1, its idempotency key', async () => {
      const w = h.newWorkflow();
      const inbox = await h.inbox('r1', { workflows: [w] });
      const taskId = newTaskId();
      const sent = requestEvent(w, taskId, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      await h.publish(w, sent);
      const [task] = await receiveN(inbox, 1);
      assert.ok(task);
      assert.deepEqual(task.event, sent);
      assert.equal(task.attempt, 1);
      assert.equal(task.idempotencyKey, taskId);
      assert.ok(task.sizeBytes >= (sent.data ?? '').length);
      assert.notEqual(task.origin, '');
    });

    it('completes: the completion is published next to the request, and the request is never delivered again', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const b = await h.inbox('r2', { workflows: [w] });
      const sent = requestEvent(w, newTaskId());
      await h.publish(w, sent);
      const [task] = await receiveN(a, 1);
      assert.ok(task);
      assert.equal(await task.claim(), 'claimed');
      await task.complete(completionOf(sent));
      const events = await h.events(w);
      assert.deepEqual(
        events.map((e) => e.type),
        [TASK_REQUESTED, TASK_COMPLETED],
      );
      assert.deepEqual(events[1], completionOf(sent));
      await h.elapse(h.redeliverAfterMs * 2);
      // The completion is an event on the workflow like any other; the request must not come back.
      assert.deepEqual(requests(await receiveFor(b, 300)), [], 'no replica gets a completed request again');
      assert.deepEqual(requests(await receiveFor(a, 300)), []);
    });

    it('dead-letters: the original message with the reason and attempt, then the failed completion; not delivered again', async () => {
      const w = h.newWorkflow();
      const inbox = await h.inbox('r1', { workflows: [w] });
      const sent = { ...requestEvent(w, newTaskId()), data: '{not json' };
      await h.publish(w, sent);
      const [task] = await receiveN(inbox, 1);
      assert.ok(task);
      await task.deadLetter({ reason: 'task_execution_failed:MALFORMED_EVENT: not JSON', attempt: 1 }, completionOf(sent));
      const [, deadLetter, completion] = await h.events(w);
      assert.equal(deadLetter?.type, TASK_DLQ);
      assert.equal(deadLetter?.data, '{not json', 'the original data, byte for byte');
      assert.equal(deadLetter?.id, sent.id);
      assert.equal(deadLetter?.taskId, sent.taskId);
      assert.equal(deadLetter?.extensions['reason'], 'task_execution_failed:MALFORMED_EVENT: not JSON');
      assert.equal(deadLetter?.extensions['attempt'], '1');
      assert.equal(completion?.type, TASK_COMPLETED);
      await h.elapse(h.redeliverAfterMs * 2);
      assert.deepEqual(requests(await receiveFor(inbox, 300)), []);
    });

    it('discards without publishing anything', async () => {
      const w = h.newWorkflow();
      const inbox = await h.inbox('r1', { workflows: [w] });
      await h.publish(w, { ...requestEvent(w, newTaskId()), type: 'io.flunq.workflow.started' });
      const [task] = await receiveN(inbox, 1);
      assert.ok(task);
      await task.discard();
      assert.equal((await h.events(w)).length, 1);
      await h.elapse(h.redeliverAfterMs * 2);
      assert.deepEqual(await receiveFor(inbox, 300), []);
    });

    it('never hands out more than asked, and each message to one replica only', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const b = await h.inbox('r2', { workflows: [w] });
      for (let i = 0; i < 7; i++) await h.publish(w, requestEvent(w, newTaskId()));
      const fromA = await receiveN(a, 3, 3);
      const fromB = await receiveN(b, 4, 4);
      const ids = [...fromA, ...fromB].map((t) => t.event.taskId);
      assert.equal(new Set(ids).size, 7, 'every message once');
    });

    it('redelivers what a stopped replica left unsettled to another one, with attempt 2, which takes over the claim', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const sent = requestEvent(w, newTaskId());
      await h.publish(w, sent);
      const [first] = await receiveN(a, 1);
      assert.ok(first);
      assert.equal(await first.claim(), 'claimed');
      await h.crash(a);
      const b = await h.inbox('r2', { workflows: [w] });
      await h.elapse(h.redeliverAfterMs + 50);
      const [again] = await receiveN(b, 1);
      assert.ok(again, 'the message is redelivered');
      assert.equal(again.event.id, sent.id);
      assert.equal(again.attempt, 2);
      assert.equal(await again.claim(), 'claimed', 'the same message takes its claim over');
      await again.complete(completionOf(sent));
    });

    it('a released delivery goes to another replica without waiting out the redelivery time', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const b = await h.inbox('r2', { workflows: [w] });
      const sent = requestEvent(w, newTaskId());
      await h.publish(w, sent);
      const [first] = await receiveN(a, 1);
      assert.ok(first);
      await first.release();
      const started = Date.now();
      await h.elapse(10);
      const [again] = await receiveN(b, 1, 10, h.realTime ? h.redeliverAfterMs * 5 : 5000);
      assert.ok(again, 'the released message is delivered again');
      assert.equal(again.event.id, sent.id);
      if (h.realTime) assert.ok(Date.now() - started < h.redeliverAfterMs * 5, `redelivered after ${Date.now() - started} ms`);
      assert.equal(await again.claim(), 'claimed', 'its claim passes to the new delivery');
      await again.complete(completionOf(sent));
    });

    it('renewing keeps a long-running delivery from being redelivered', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const b = await h.inbox('r2', { workflows: [w] });
      await h.publish(w, requestEvent(w, newTaskId()));
      const [task] = await receiveN(a, 1);
      assert.ok(task);
      for (let i = 0; i < 4; i++) {
        await h.elapse(Math.floor(h.redeliverAfterMs / 2));
        assert.equal(await task.renew(), true);
        assert.deepEqual(await receiveFor(b, 50), []);
      }
    });

    it('renewing tells a replica that its delivery was redelivered to another one', async () => {
      const w = h.newWorkflow();
      const a = await h.inbox('r1', { workflows: [w] });
      const b = await h.inbox('r2', { workflows: [w] });
      await h.publish(w, requestEvent(w, newTaskId()));
      const [slow] = await receiveN(a, 1);
      assert.ok(slow);
      assert.equal(await slow.renew(), true);
      await h.elapse(h.redeliverAfterMs + 50);
      const [taken] = await receiveN(b, 1);
      assert.ok(taken, 'the unrenewed delivery goes to the other replica');
      assert.equal(taken.attempt, 2);
      assert.equal(await slow.renew(), false, 'the first replica learns it is no longer its delivery');
    });

    it('a second message of a task finds it running while the first holds the claim, then settled', async () => {
      const w = h.newWorkflow();
      const inbox = await h.inbox('r1', { workflows: [w] });
      const taskId = newTaskId();
      const sent = requestEvent(w, taskId);
      await h.publish(w, sent);
      await h.publish(w, { ...sent, id: `${sent.id}-again` });
      const [one, two] = await receiveN(inbox, 2);
      assert.ok(one && two);
      assert.equal(await one.claim(), 'claimed');
      assert.equal(await two.claim(), 'running');
      await two.discard();
      await one.complete(completionOf(sent));
      await h.publish(w, { ...sent, id: `${sent.id}-third` });
      const [three] = await receiveN(inbox, 1);
      assert.ok(three);
      assert.equal(await three.claim(), 'settled');
    });

    it('gives a replayed request its own idempotency key', async () => {
      const w = h.newWorkflow();
      const inbox = await h.inbox('r1', { workflows: [w] });
      const taskId = newTaskId();
      await h.publish(w, requestEvent(w, taskId, { replay_of: 'somewhere|1-0', replay: '2' }));
      const [task] = await receiveN(inbox, 1);
      assert.equal(task?.idempotencyKey, `${taskId}#replay-2`);
    });

    it('discovers workflows that appear while it runs, and wakes up for a new request without waiting out its block time', async () => {
      const inbox = await h.inbox('r1');
      assert.deepEqual(await receiveFor(inbox, 200), []);
      const w = h.newWorkflow();
      const sent = requestEvent(w, newTaskId());
      const receiving = inbox.receive(10, within(10_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await h.publish(w, sent);
      let got = await receiving;
      // A backend that learnt of the new workflow only now may need one more (prompt) receive.
      if (got.length === 0) got = await inbox.receive(10, within(10_000));
      assert.deepEqual(
        got.map((t) => t.event.id),
        [sent.id],
      );
      // Well within the block time: the publication woke the receive up (a fake clock never ends it).
      const woke = Date.now() - started;
      if (h.realTime) assert.ok(woke < h.blockMs / 2, `woke up after ${woke} ms (block time ${h.blockMs} ms)`);
      else assert.ok(woke < 1000, `woke up after ${woke} ms`);
    });

    const historyCase = capabilities.outcomesFromHistory ? {} : { skip: 'this backend records outcomes per consumer group, not in the workflow history' };
    it('a new consumer group does not run again what already has an outcome next to it (published by any executor)', historyCase, async () => {
      const w = h.newWorkflow();
      const done = requestEvent(w, newTaskId());
      const open = requestEvent(w, newTaskId());
      await h.publish(w, done);
      await h.publish(w, completionOf(done));
      await h.publish(w, open);
      const inbox = await h.inbox('r1', { workflows: [w], group: `fresh-${++seq}` });
      const received = await receiveN(inbox, 3);
      const byId = new Map(received.map((t) => [t.event.id, t]));
      const doneTask = byId.get(done.id);
      if (doneTask) assert.equal(await doneTask.claim(), 'settled', 'the completed request is known to be settled');
      const openTask = byId.get(open.id);
      assert.ok(openTask, 'the open request is delivered');
      assert.equal(await openTask.claim(), 'claimed');
    });
  });
}
