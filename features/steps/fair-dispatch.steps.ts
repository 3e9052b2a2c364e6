import assert from 'node:assert/strict';
import { DataTable, Then, When } from '@cucumber/cucumber';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { TASK_COMPLETED } from '../../src/domain/task-request';
import { ExecutorWorld } from '../support/world';

interface TenantTask {
  tenant: string;
  workflow: string;
  taskName: string;
  taskType: string;
  seconds: number;
  priority?: string;
}

/** Appends one request of `task.tenant`'s workflow to that workflow's place, as the flunq worker does. */
function submitFor(world: ExecutorWorld, task: TenantTask): void {
  const taskId = world.nextTaskId(task.taskName);
  const data = world.requestData({ taskName: task.taskName, taskType: task.taskType, parameters: task.taskType === 'wait' ? { duration: `${task.seconds}s` } : { set_data: { ok: true } } }, taskId);
  Object.assign(data, { tenant_id: task.tenant, workflow_id: task.workflow });
  const extra: Record<string, string> = { tenantid: task.tenant, workflowid: task.workflow };
  if (task.priority !== undefined) extra['priority'] = task.priority;
  world.submitRaw(JSON.stringify(data), extra, workflowStream(task.tenant, task.workflow));
}

function submitMany(world: ExecutorWorld, tenant: string, count: number, taskType: string, seconds: number, workflows: number): void {
  const offset = (world.bag.get(`workflows:${tenant}`) as number | undefined) ?? 0;
  for (let i = 0; i < count; i++) submitFor(world, { tenant, workflow: `wf_${offset + (i % workflows)}`, taskName: `${tenant}${i}`, taskType, seconds });
  world.bag.set(`workflows:${tenant}`, offset + workflows);
}

function tenantStreams(world: ExecutorWorld, tenant: string): string[] {
  return world.broker.streamNames().filter((s) => s.startsWith(`tenant:${tenant}:workflow:`));
}

function completedOf(world: ExecutorWorld, tenant: string): string[] {
  return tenantStreams(world, tenant)
    .flatMap((s) => world.entries(TASK_COMPLETED, s))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((e) => (JSON.parse(e.fields['data'] ?? '{}') as { task_name?: string }).task_name ?? '');
}

function loadOf(world: ExecutorWorld, tenant: string): { inFlight: number; waiting: number; share: number } {
  return world.metrics.tenantLoads().find((l) => l.tenant === tenant) ?? { inFlight: 0, waiting: 0, share: 0 };
}

When('tenant {string} submits {int} {string} task(s)', async function (this: ExecutorWorld, tenant: string, count: number, taskType: string) {
  await this.start();
  submitMany(this, tenant, count, taskType, 0, 1);
  await this.settle();
});

When('tenant {string} submits {int} {string} tasks of {int} s over {int} workflow(s)', async function (this: ExecutorWorld, tenant: string, count: number, taskType: string, seconds: number, workflows: number) {
  await this.start();
  submitMany(this, tenant, count, taskType, seconds, workflows);
  await this.settle();
});

When('these tasks are submitted at once:', async function (this: ExecutorWorld, table: DataTable) {
  await this.start();
  for (const row of table.hashes()) submitMany(this, row['tenant'] ?? '', Number(row['tasks']), row['type'] ?? 'set', Number(row['seconds']), Number(row['workflows']));
  await this.settle();
});

When('tenant {string} submits the {string} tasks {string} of {int} s with priority {string}', async function (this: ExecutorWorld, tenant: string, taskType: string, names: string, seconds: number, priority: string) {
  await this.start();
  for (const taskName of names.split(',').map((n) => n.trim())) submitFor(this, { tenant, workflow: 'wf_0', taskName, taskType, seconds, priority });
  await this.settle();
});

Then('tenant {string} should have {int} task(s) running', function (this: ExecutorWorld, tenant: string, n: number) {
  assert.equal(loadOf(this, tenant).inFlight, n);
});

Then('tenant {string} should have {int} task(s) completed', function (this: ExecutorWorld, tenant: string, n: number) {
  assert.equal(completedOf(this, tenant).length, n);
});

Then('the metrics should show tenant {string} with {int} running and a share of {int}', function (this: ExecutorWorld, tenant: string, running: number, share: number) {
  const load = loadOf(this, tenant);
  assert.equal(load.inFlight, running);
  assert.equal(load.share, share);
});

Then('the tasks of tenant {string} should have completed in the order {string}', function (this: ExecutorWorld, tenant: string, order: string) {
  assert.deepEqual(completedOf(this, tenant), order.split(',').map((n) => n.trim()));
});

Then('at most {int} tasks should be waiting for a slot', function (this: ExecutorWorld, n: number) {
  assert.ok((this.loop?.waitingCount ?? 0) <= n, `${this.loop?.waitingCount} waiting`);
});

Then('{int} task(s) should be waiting for a slot', function (this: ExecutorWorld, n: number) {
  assert.equal(this.loop?.waitingCount, n);
});

Then('at least {int} tasks should still be unread', function (this: ExecutorWorld, n: number) {
  assert.ok(this.undeliveredCount() >= n, `${this.undeliveredCount()} unread`);
});

Then('no task read should have gone unrenewed for {duration} or more', function (this: ExecutorWorld, ms: number) {
  const group = this.config.stream.group;
  const now = this.clock.now();
  const pending = this.broker.streamNames().flatMap((s) => [...this.broker.pending(s, group).values()]);
  assert.ok(pending.length > 0, 'expected tasks read and not yet settled');
  for (const p of pending) assert.ok(now - p.lastDeliveredAt < ms, `a task read ${now - p.lastDeliveredAt} ms ago was not renewed`);
});
