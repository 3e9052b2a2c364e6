import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskActivity, TaskActivitySettings } from '../../../src/application/activity/task-activity';
import { DeadLetterNote, InboundTask, TaskInbox } from '../../../src/application/ports/task-inbox.port';
import { FlunqEvent, TASK_COMPLETED, TASK_REQUESTED } from '../../../src/domain/flunq-event';
import { FakeClock } from '../../support/fake-clock';

function event(taskId: string, overrides: Partial<FlunqEvent> = {}, taskType = 'set'): FlunqEvent {
  return {
    id: `task-requested-${taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: TASK_REQUESTED,
    time: '2025-08-25T19:35:40Z',
    workflowId: 'wf_a',
    executionId: 'ex_a',
    taskId,
    tenantId: 'acme',
    data: JSON.stringify({ task_id: taskId, task_name: 'n', task_type: taskType, config: { parameters: { token: 'raw-secret' } } }),
    extensions: {},
    ...overrides,
  };
}

/** A completion as the executor publishes it (its shape, not every field). */
function completion(taskId: string, success: boolean, extra: Record<string, unknown> = {}, taskType = 'set'): FlunqEvent {
  const payload = { task_id: taskId, success, error: success ? '' : 'boom', output: { headers: { authorization: '[REDACTED]' } }, ...extra, data: { metadata: { task_type: taskType } } };
  return { ...event(taskId), type: TASK_COMPLETED, data: JSON.stringify(payload) };
}

/** A delivery that records how it was settled. */
class FakeTask implements InboundTask {
  settledAs: string | undefined;
  failNext = false;
  constructor(readonly event: FlunqEvent, readonly attempt = 1) {}
  readonly sizeBytes = 100;
  readonly origin = 'test';
  get idempotencyKey(): string {
    return this.event.taskId;
  }
  claim() {
    return Promise.resolve('claimed' as const);
  }
  private settle(as: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('backend down'));
    }
    this.settledAs = as;
    return Promise.resolve();
  }
  complete(_c: FlunqEvent) {
    return this.settle('complete');
  }
  deadLetter(_n: DeadLetterNote, _c?: FlunqEvent) {
    return this.settle('deadLetter');
  }
  discard() {
    return this.settle('discard');
  }
  release() {
    return Promise.resolve();
  }
  renew() {
    return Promise.resolve(true);
  }
}

class FakeInbox implements TaskInbox {
  queue: InboundTask[] = [];
  closed = false;
  receive(max: number): Promise<InboundTask[]> {
    return Promise.resolve(this.queue.splice(0, max));
  }
  isReady() {
    return true;
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
}

function makeSut(settings: Partial<TaskActivitySettings> = {}) {
  const clock = new FakeClock();
  const activity = new TaskActivity(clock, { capacity: 5, maxPayloadChars: 10_000, windowSeconds: 60, maxInFlight: 100, ...settings });
  const inner = new FakeInbox();
  const inbox = activity.observe(inner);
  const receive = async (...tasks: FakeTask[]) => {
    inner.queue.push(...tasks);
    return inbox.receive(tasks.length, new AbortController().signal);
  };
  return { clock, activity, inner, inbox, receive };
}

describe('TaskActivity', () => {
  it('lists a received task as in flight, with its type and age, until it settles', async () => {
    const { clock, activity, receive } = makeSut();
    const [task] = await receive(new FakeTask(event('t1', {}, 'call')));
    await clock.advance(1500);
    assert.deepEqual(activity.inFlight().map((t) => [t.taskId, t.taskType, t.workflowId, t.tenantId, t.ageMs]), [['t1', 'call', 'wf_a', 'acme', 1500]]);
    await task!.complete(completion('t1', true));
    assert.deepEqual(activity.inFlight(), []);
  });

  it('settles through the wrapped delivery, and records the outcome only once the backend took it', async () => {
    const { activity, receive } = makeSut();
    const raw = new FakeTask(event('t1'));
    const [task] = await receive(raw);
    raw.failNext = true;
    await assert.rejects(task!.complete(completion('t1', true)));
    assert.equal(activity.recent().length, 0);
    assert.equal(activity.inFlight().length, 1, 'still running: the caller retries');
    await task!.complete(completion('t1', true));
    assert.equal(raw.settledAs, 'complete');
    assert.deepEqual(activity.recent().map((o) => [o.taskId, o.status]), [['t1', 'success']]);
  });

  it('tells success, failure, dead letter and duplicate apart, with the error or reason', async () => {
    const { activity, receive } = makeSut();
    const [a, b, c, d] = await receive(new FakeTask(event('ok')), new FakeTask(event('bad')), new FakeTask(event('dlq')), new FakeTask(event('dup')));
    await a!.complete(completion('ok', true));
    await b!.complete(completion('bad', false));
    await c!.deadLetter({ reason: 'UNKNOWN_TASK_TYPE: no handler', attempt: 1 }, completion('dlq', false));
    await d!.discard();
    assert.deepEqual(
      activity.recent().map((o) => [o.taskId, o.status, o.error]),
      [
        ['dup', 'duplicate', ''],
        ['dlq', 'dead_letter', 'UNKNOWN_TASK_TYPE: no handler'],
        ['bad', 'failure', 'boom'],
        ['ok', 'success', ''],
      ],
    );
  });

  it('keeps the published completion as the payload, never the request', async () => {
    const { activity, receive } = makeSut();
    const [task] = await receive(new FakeTask(event('t1')));
    await task!.complete(completion('t1', true));
    const [recent] = activity.recent();
    const detail = activity.outcome(recent!.seq);
    assert.deepEqual(detail?.payload, { task_id: 't1', success: true, error: '', output: { headers: { authorization: '[REDACTED]' } }, data: { metadata: { task_type: 'set' } } });
    assert.doesNotMatch(JSON.stringify(detail), /raw-secret/);
  });

  it('is a bounded ring: the oldest outcomes leave first', async () => {
    const { activity, receive } = makeSut({ capacity: 3 });
    for (let i = 1; i <= 5; i++) {
      const [task] = await receive(new FakeTask(event(`t${i}`)));
      await task!.complete(completion(`t${i}`, true));
    }
    const recent = activity.recent();
    assert.deepEqual(recent.map((o) => o.taskId), ['t5', 't4', 't3']);
    assert.equal(activity.outcome(1), undefined, 'the first outcome left the ring');
    assert.equal(activity.outcome(recent[0]!.seq)?.taskId, 't5');
  });

  it('filters by workflow, task id substring, type and status, newest first, up to a limit', async () => {
    const { activity, receive } = makeSut({ capacity: 10 });
    const tasks = await receive(
      new FakeTask(event('task-a-1', { workflowId: 'wf_1' }, 'set')),
      new FakeTask(event('task-b-2', { workflowId: 'wf_2' }, 'call')),
      new FakeTask(event('task-a-3', { workflowId: 'wf_1' }, 'call')),
    );
    await tasks[0]!.complete(completion('task-a-1', true));
    await tasks[1]!.complete(completion('task-b-2', false, {}, 'call'));
    await tasks[2]!.complete(completion('task-a-3', false, {}, 'call'));
    const ids = (f: Parameters<TaskActivity['recent']>[0]) => activity.recent(f).map((o) => o.taskId);
    assert.deepEqual(ids({ workflowId: 'wf_1' }), ['task-a-3', 'task-a-1']);
    assert.deepEqual(ids({ taskId: '-a-' }), ['task-a-3', 'task-a-1']);
    assert.deepEqual(ids({ taskType: 'call' }), ['task-a-3', 'task-b-2']);
    assert.deepEqual(ids({ status: 'failure', workflowId: 'wf_1' }), ['task-a-3']);
    assert.deepEqual(ids({ limit: 1 }), ['task-a-3']);
  });

  it('reads success from the top-level field, not from a task name that quotes it', async () => {
    const { activity, receive } = makeSut();
    const [task] = await receive(new FakeTask(event('t1')));
    // The executor writes task_id, task_name and tenant_id before success.
    const payload = { task_id: 't1', task_name: '"success":false', tenant_id: 'acme', success: true, output: {}, data: { metadata: { task_type: 'set' } } };
    await task!.complete({ ...completion('t1', true), data: JSON.stringify(payload) });
    assert.equal(activity.recent()[0]?.status, 'success');
  });

  it('keeps only a preview of a completion longer than the limit', async () => {
    const { activity, receive } = makeSut({ maxPayloadChars: 200 });
    const [task] = await receive(new FakeTask(event('big')));
    await task!.complete(completion('big', false, { output: 'x'.repeat(5000) }));
    const [recent] = activity.recent();
    assert.equal(recent?.status, 'failure', 'success is read from the preview');
    const detail = activity.outcome(recent.seq);
    assert.equal(detail?.truncated, true);
    assert.equal(typeof detail?.payload, 'string');
    assert.equal((detail?.payload as string).length, 200);
  });

  it('counts outcomes per second over a window, oldest first, and in all', async () => {
    const { clock, activity, receive } = makeSut({ capacity: 10, windowSeconds: 5 });
    await clock.advance(1000 - (clock.now() % 1000));
    const settle = async (id: string, ok: boolean) => {
      const [task] = await receive(new FakeTask(event(id)));
      await task!.complete(completion(id, ok));
    };
    await settle('a', true);
    await settle('b', false);
    await clock.advance(2000);
    await settle('c', true);
    const rates = activity.rates(4);
    assert.equal(rates.samples.length, 4);
    assert.deepEqual(rates.samples.map((s) => [s.success, s.failure]), [[0, 0], [1, 1], [0, 0], [1, 0]]);
    assert.deepEqual(rates.totals, { success: 2, failure: 1, dead_letter: 0, duplicate: 0 });
    await clock.advance(10_000);
    assert.deepEqual(activity.rates(5).samples.map((s) => s.success), [0, 0, 0, 0, 0], 'old seconds are not reported again');
  });

  it('passes other events through unobserved, and delegates readiness and close', async () => {
    const { activity, inner, inbox, receive } = makeSut();
    const other = new FakeTask({ ...event('x'), type: TASK_COMPLETED });
    const [task] = await receive(other);
    assert.equal(task, other);
    assert.deepEqual(activity.inFlight(), []);
    assert.equal(inbox.isReady(), true);
    await inbox.close();
    assert.equal(inner.closed, true);
  });

  it('tracks at most maxInFlight running tasks (the oldest is dropped)', async () => {
    const { activity, receive } = makeSut({ maxInFlight: 2 });
    await receive(new FakeTask(event('a')), new FakeTask(event('b')), new FakeTask(event('c')));
    assert.deepEqual(activity.inFlight().map((t) => t.taskId), ['b', 'c']);
  });
});
