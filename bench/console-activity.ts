/**
 * What the web console's activity adds per task: a loop of receive and complete over a no-op inbox,
 * with and without the observing inbox (TaskActivity), alternating per round. Prints ns per task.
 *
 *   node --require ts-node/register/transpile-only bench/console-activity.ts
 */
import { TaskActivity } from '../src/application/activity/task-activity';
import { Clock } from '../src/application/ports/clock.port';
import { InboundTask, TaskInbox } from '../src/application/ports/task-inbox.port';
import { FlunqEvent } from '../src/domain/flunq-event';

const TASKS = 200_000;
const ROUNDS = 5;
const clock: Clock = { now: () => Date.now(), sleep: () => Promise.resolve() };

function event(taskId: string, type: string, data: unknown): FlunqEvent {
  return { id: taskId, source: 'bench', specversion: '1.0', type, time: '', workflowId: 'wf_bench', executionId: 'ex_bench', taskId, tenantId: 'bench', data: JSON.stringify(data), extensions: {} };
}

/** A completion of the size a small `set` task publishes (about 600 bytes). */
const completion = event('c', 'io.flunq.task.completed', {
  task_id: 't',
  task_name: 'prepare',
  tenant_id: 'bench',
  success: true,
  output: { set_data: { status: 'ready', note: 'x'.repeat(200) } },
  error: '',
  data: { input: {}, output: { set_data: { status: 'ready' } }, metadata: { task_type: 'set', activity_name: 'executor_activity' } },
});

function task(i: number): InboundTask {
  const request = event(`task-prepare-${i}`, 'io.flunq.task.requested', { task_id: `task-prepare-${i}`, task_type: 'set', config: { parameters: { set_data: { status: 'ready' } } } });
  const done = (): Promise<void> => Promise.resolve();
  return { event: request, sizeBytes: 300, attempt: 1, idempotencyKey: request.taskId, origin: '', claim: () => Promise.resolve('claimed'), complete: done, deadLetter: done, discard: done, release: done, renew: () => Promise.resolve(true) };
}

async function run(observed: boolean): Promise<number> {
  const queue: InboundTask[] = [];
  const inner: TaskInbox = { receive: (max) => Promise.resolve(queue.splice(0, max)), isReady: () => true, close: () => Promise.resolve() };
  const inbox = observed ? new TaskActivity(clock).observe(inner) : inner;
  const signal = new AbortController().signal;
  const started = process.hrtime.bigint();
  for (let i = 0; i < TASKS; i += 100) {
    for (let j = 0; j < 100; j++) queue.push(task(i + j));
    for (const delivery of await inbox.receive(100, signal)) await delivery.complete(completion);
  }
  return Number(process.hrtime.bigint() - started) / TASKS;
}

void (async () => {
  const plain: number[] = [];
  const observed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await run(false));
    observed.push(await run(true));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(`ns per task (median of ${ROUNDS} rounds of ${TASKS}): plain ${Math.round(median(plain))}, observed ${Math.round(median(observed))}, difference ${Math.round(median(observed) - median(plain))}\n`);
})();
