import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairDispatchSettings, FairScheduler, TaskTags } from '../../../../src/application/fair-dispatch/fair-scheduler';
import { parseTenantShares } from '../../../../src/domain/fair-share';
import { FakeClock } from '../../../support/fake-clock';

function makeSut(settings: Partial<FairDispatchSettings> & { sharesText?: string } = {}) {
  const clock = new FakeClock();
  const scheduler = new FairScheduler<string>(
    { enabled: true, concurrency: 4, readAhead: 8, shares: parseTenantShares(settings.sharesText ?? ''), workflowCap: undefined, reserve: 0, activityWindowMs: 10_000, ...settings },
    clock,
  );
  let n = 0;
  const add = (tenantId: string, count = 1, workflowId = 'wf', priority = 3): string[] => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${tenantId}/${workflowId}/${n++}`;
      scheduler.enqueue(id, { tenantId, workflowId, priority });
      ids.push(id);
    }
    return ids;
  };
  const started: { item: string; tags: TaskTags }[] = [];
  const startAll = (): string[] => {
    const out: string[] = [];
    for (let next = scheduler.next(); next; next = scheduler.next()) {
      started.push(next);
      out.push(next.item);
    }
    return out;
  };
  const finish = (item: string): void => {
    const i = started.findIndex((s) => s.item === item);
    const [s] = started.splice(i, 1);
    if (s) scheduler.finished(s.tags);
  };
  const tenantOf = (item: string): string => item.split('/')[0] ?? '';
  return { scheduler, clock, add, startAll, finish, tenantOf };
}

describe('FairScheduler', () => {
  it('gives a single tenant every slot (work conserving)', () => {
    const { add, startAll } = makeSut();
    add('busy', 10);
    assert.equal(startAll().length, 4);
  });

  it('gives a freed slot to the tenant furthest below its share, not to the oldest task', () => {
    const { add, startAll, finish, tenantOf } = makeSut();
    add('busy', 10);
    const first = startAll();
    add('small', 1);
    finish(first[0] ?? '');
    assert.deepEqual(startAll().map(tenantOf), ['small']);
  });

  it('shares the slots in proportion to the weights', () => {
    const { add, startAll, tenantOf } = makeSut({ concurrency: 8, sharesText: 'a=3,b=1' });
    add('a', 10);
    add('b', 10);
    const tenants = startAll().map(tenantOf);
    assert.equal(tenants.filter((t) => t === 'a').length, 6);
    assert.equal(tenants.filter((t) => t === 'b').length, 2);
  });

  it('never runs more of a tenant than its cap, even with free slots', () => {
    const { add, startAll } = makeSut({ sharesText: 'a=1:cap=2' });
    add('a', 10);
    assert.equal(startAll().length, 2);
  });

  it('never runs more of one workflow than the workflow cap, and lets other workflows of the tenant run', () => {
    const { add, startAll } = makeSut({ workflowCap: 1 });
    add('a', 5, 'runaway');
    add('a', 1, 'other');
    assert.deepEqual(startAll().map((i) => i.split('/')[1]).sort(), ['other', 'runaway']);
  });

  it('starts a tenant\'s urgent tasks before its batch work, without overtaking other tenants\' share', () => {
    const { add, startAll, tenantOf } = makeSut({ concurrency: 2 });
    add('a', 3, 'wf', 4);
    const [urgent] = add('a', 1, 'wf', 1);
    add('b', 1);
    const started = startAll();
    assert.equal(started[0], urgent);
    assert.deepEqual(started.map(tenantOf).sort(), ['a', 'b']);
  });

  it('orders a tenant\'s tasks over several workflows by priority, then by the workflow with fewest running, then by age', () => {
    const { add, startAll, finish } = makeSut({ concurrency: 1 });
    const [first] = add('a', 1, 'wf1', 3);
    assert.deepEqual(startAll(), [first]);
    const [batch] = add('a', 1, 'wf2', 5);
    const [sameWorkflow] = add('a', 1, 'wf1', 2);
    const [otherWorkflow] = add('a', 1, 'wf3', 2);
    const [urgent] = add('a', 1, 'wf2', 1);
    finish(first ?? '');
    assert.deepEqual(startAll(), [urgent]);
    finish(urgent ?? '');
    // Same priority: wf3 has nothing running, wf1 neither now, so the older one (wf1) goes first.
    assert.deepEqual(startAll(), [sameWorkflow]);
    finish(sameWorkflow ?? '');
    assert.deepEqual(startAll(), [otherWorkflow]);
    finish(otherWorkflow ?? '');
    assert.deepEqual(startAll(), [batch]);
  });

  it('gives a tenant\'s free slot to its workflow with fewest running tasks, ahead of an older task of a busier workflow', () => {
    const { add, startAll } = makeSut({ concurrency: 2 });
    add('a', 1, 'wf1');
    assert.equal(startAll().length, 1);
    add('a', 1, 'wf1');
    const [quiet] = add('a', 1, 'wf2');
    assert.deepEqual(startAll(), [quiet]);
  });

  it('keeps the reserve free for a recently active tenant, and gives it back once that tenant has been idle for the window', async () => {
    const { add, startAll, finish, clock } = makeSut({ concurrency: 4, reserve: 1 });
    const [small] = add('small', 1);
    add('busy', 10);
    // busy, above its share of 2, leaves the last slot free for `small`.
    assert.deepEqual(startAll().map((i) => i.split('/')[0]), ['small', 'busy', 'busy']);
    finish(small ?? '');
    // busy takes a third slot; the last one stays free for `small`, active a moment ago.
    assert.equal(startAll().length, 1);
    assert.equal(startAll().length, 0);
    await clock.advance(10_001);
    assert.equal(startAll().length, 1);
  });

  it('reads a tenant ahead only up to its part of the read-ahead, keeping room for a tenant not seen yet', () => {
    const { scheduler, add } = makeSut({ readAhead: 8 });
    add('busy', 4);
    assert.equal(scheduler.admits('busy', 'wf'), false);
    assert.equal(scheduler.admits('newcomer', 'wf'), true);
  });

  it('asks for a narrowed read to be renewed only when what it turned away is now wanted', () => {
    const { scheduler, add, startAll, finish } = makeSut({ concurrency: 2, readAhead: 8 });
    const running = add('busy', 2);
    startAll();
    add('busy', 4);
    assert.equal(scheduler.readWorthRenewing(), false, 'nothing turned away');
    assert.equal(scheduler.admits('busy', 'wf'), false);
    // Slots full, the buffer still holds the tenant's tasks: no need to read again yet.
    finish(running[0] ?? '');
    startAll();
    assert.equal(scheduler.readWorthRenewing(), false);
    // Down to a quarter of the read-ahead: read again.
    finish(running[1] ?? '');
    startAll();
    assert.equal(scheduler.waiting, 2);
    assert.equal(scheduler.readWorthRenewing(), true);
    scheduler.clearRefused();
    assert.equal(scheduler.readWorthRenewing(), false);
  });

  it('refuses every read once the read-ahead is full', () => {
    const { scheduler, add } = makeSut({ readAhead: 2 });
    add('a', 1);
    add('b', 1);
    assert.equal(scheduler.admits('c', 'wf'), false);
  });

  it('reports each active tenant\'s running and waiting tasks and share', () => {
    const { scheduler, add, startAll } = makeSut({ concurrency: 2 });
    add('a', 3);
    startAll();
    add('b', 1);
    assert.deepEqual(scheduler.loads(), [
      { tenant: 'a', inFlight: 2, waiting: 1, share: 1 },
      { tenant: 'b', inFlight: 0, waiting: 1, share: 1 },
    ]);
  });

  it('when off, starts tasks first come, first served, ignoring caps', () => {
    const { add, startAll } = makeSut({ enabled: false, sharesText: 'a=1:cap=1' });
    const ids = [...add('a', 3), ...add('b', 1)];
    assert.deepEqual(startAll(), ids.slice(0, 4));
  });
});

describe('FairScheduler memory', () => {
  it('forgets tenants idle for longer than the window, however many came and went', async () => {
    const clock = new FakeClock();
    const scheduler = new FairScheduler<string>({ enabled: true, concurrency: 1, readAhead: 1, shares: parseTenantShares(''), workflowCap: undefined, reserve: 0, activityWindowMs: 1000 }, clock);
    for (let i = 0; i < 1000; i++) {
      const tags = { tenantId: `t${i}`, workflowId: 'wf', priority: 3 };
      scheduler.enqueue(`task${i}`, tags);
      scheduler.next();
      scheduler.finished(tags);
      await clock.advance(10);
    }
    // 100 tenants active within the window; idle ones forgotten as new ones come.
    assert.ok(scheduler.trackedTenants <= 256, `${scheduler.trackedTenants} tenants tracked`);
  });
});

describe('FairScheduler: newcomers and dropped tasks', () => {
  it('lets a tenant with nothing running start one task beyond the slots, and no more than max(1, reserve) such tasks', () => {
    const { add, startAll, tenantOf } = makeSut();
    add('busy', 10);
    assert.equal(startAll().length, 4);
    add('small', 2);
    add('other', 1);
    const extra = startAll();
    assert.deepEqual(extra.map(tenantOf), ['small'], 'one newcomer task beyond the 4 slots, and only one with reserve 0');
  });

  it('drops a waiting task whose delivery went elsewhere, so that it never starts here', () => {
    const { scheduler, add, startAll } = makeSut({ concurrency: 1 });
    const [first, second] = add('t', 2);
    assert.ok(first && second);
    assert.equal(scheduler.drop(first, { tenantId: 't', workflowId: 'wf', priority: 3 }), true);
    assert.equal(scheduler.waiting, 1);
    assert.deepEqual(startAll(), [second]);
    assert.equal(scheduler.drop(first, { tenantId: 't', workflowId: 'wf', priority: 3 }), false);
  });
});
