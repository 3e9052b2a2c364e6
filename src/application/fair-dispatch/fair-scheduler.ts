import { fairShares, shareOf, TenantShare, TenantShareTable } from '../../domain/fair-share';
import { Clock } from '../ports/clock.port';
import { TenantLoad } from '../ports/metrics.port';
import { ReadGate } from '../ports/task-inbox.port';

export interface FairDispatchSettings {
  /** Off: first come, first served, nothing read ahead, no caps (the order of earlier versions). */
  enabled: boolean;
  /** Tasks run at once (EXECUTOR_CONCURRENCY). */
  concurrency: number;
  /** Most tasks read and waiting for a slot (EXECUTOR_READ_AHEAD). */
  readAhead: number;
  /** Weights and caps per tenant (EXECUTOR_TENANT_SHARES). */
  shares: TenantShareTable;
  /** Most tasks of one workflow running at once (EXECUTOR_WORKFLOW_CAP; undefined: none). */
  workflowCap: number | undefined;
  /**
   * Slots a tenant above its fair share leaves free while another tenant has been active within
   * `activityWindowMs` (EXECUTOR_FAIR_RESERVE): a task of that tenant then starts at once instead of
   * waiting for a slot held by long tasks. Less than `concurrency`.
   */
  reserve: number;
  /** How long a tenant counts as active after it last had a task waiting or running, ms. */
  activityWindowMs: number;
}

/** Who a task belongs to and how urgent it is (1 most urgent, 5 least). */
export interface TaskTags {
  tenantId: string;
  workflowId: string;
  priority: number;
}

interface Waiting<T> {
  item: T;
  tags: TaskTags;
  seq: number;
}

interface TenantState<T> {
  share: TenantShare;
  running: number;
  waiting: Waiting<T>[];
  /** Running and waiting tasks per workflow (only workflows with some). */
  workflows: Map<string, { running: number; waiting: number }>;
  /** Waiting tasks per priority (index 1 to 5). */
  priorities: number[];
  lastActiveAt: number;
  /** Sequence number of its last dispatch (ties go to the tenant served longest ago). */
  lastServed: number;
}

/**
 * Decides which task a free slot goes to: the tenant furthest below its fair share (fewest running
 * tasks per unit of weight), among tenants under their cap; within it the most urgent task, then the
 * workflow with fewest running tasks (under the workflow cap), then the oldest. A single tenant with
 * work gets every slot. As the read gate, it lets a tenant's work be read only while the tenant holds
 * fewer waiting tasks than its part of the read-ahead, always keeping room for a tenant not seen yet.
 *
 * Holds at most what the loop gives it; the loop bounds that (concurrency + read-ahead).
 */
export class FairScheduler<T> implements ReadGate {
  private readonly tenants = new Map<string, TenantState<T>>();
  private runningTotal = 0;
  private waitingTotal = 0;
  /** Sum of the weights of tenants holding a running or waiting task. */
  private heldWeight = 0;
  private seq = 0;
  /** Tenants the gate turned away since the last read started. */
  private readonly refused = new Set<string>();
  /** Tenants known before idle ones are forgotten again (amortised: doubles with the active ones). */
  private pruneAt = 64;

  constructor(
    private readonly settings: FairDispatchSettings,
    private readonly clock: Clock,
  ) {}

  get running(): number {
    return this.runningTotal;
  }

  get waiting(): number {
    return this.waitingTotal;
  }

  /** Tenants tracked: those holding work or active within the window, and idle ones not yet forgotten. */
  get trackedTenants(): number {
    return this.tenants.size;
  }

  /** A read starts (or was ended): forget what the gate turned away. */
  clearRefused(): void {
    this.refused.clear();
  }

  /**
   * Whether the read in progress, which the gate narrowed, should be ended so that the next one asks
   * again: a slot is free with nothing to start, a tenant turned away has nothing left waiting, or
   * the buffer is down to a quarter. Not on every finished task: a busy tenant refills its part of
   * the buffer in batches.
   */
  readWorthRenewing(): boolean {
    if (this.refused.size === 0) return false;
    if (this.runningTotal < this.settings.concurrency || this.waitingTotal <= Math.floor(this.settings.readAhead / 4)) return true;
    for (const tenantId of this.refused) if ((this.tenants.get(tenantId)?.waiting.length ?? 0) === 0) return true;
    return false;
  }

  admits(tenantId: string, workflowId: string): boolean {
    if (this.admitsNow(tenantId, workflowId)) return true;
    this.refused.add(tenantId);
    return false;
  }

  /** A task read and waiting for a slot. */
  enqueue(item: T, tags: TaskTags): void {
    const tenant = this.tenant(tags.tenantId);
    this.hold(tenant);
    tenant.waiting.push({ item, tags, seq: this.seq++ });
    tenant.priorities[tags.priority] = (tenant.priorities[tags.priority] ?? 0) + 1;
    this.workflow(tenant, tags.workflowId).waiting++;
    this.waitingTotal++;
  }

  /** Takes the task the next free slot goes to (counted as running), or undefined when none may start now. */
  next(): { item: T; tags: TaskTags } | undefined {
    const free = this.settings.concurrency - this.runningTotal;
    if (this.waitingTotal === 0) return undefined;
    // Every slot taken: only a newcomer may start (see newcomerPick), beyond the slots.
    const pick = free <= 0 ? this.newcomerPick() : this.settings.enabled ? this.fairPick(free) : this.oldest();
    if (!pick) return undefined;
    const [tenant, index] = pick;
    const [chosen] = tenant.waiting.splice(index, 1);
    if (!chosen) return undefined;
    const counts = this.workflow(tenant, chosen.tags.workflowId);
    counts.waiting--;
    counts.running++;
    tenant.priorities[chosen.tags.priority] = (tenant.priorities[chosen.tags.priority] ?? 1) - 1;
    tenant.running++;
    tenant.lastServed = this.seq++;
    tenant.lastActiveAt = this.clock.now();
    this.waitingTotal--;
    this.runningTotal++;
    return chosen;
  }

  /** A task taken with `next` has ended. */
  finished(tags: TaskTags): void {
    const tenant = this.tenants.get(tags.tenantId);
    if (!tenant) return;
    const counts = this.workflow(tenant, tags.workflowId);
    counts.running--;
    if (counts.running <= 0 && counts.waiting <= 0) tenant.workflows.delete(tags.workflowId);
    tenant.running--;
    this.runningTotal--;
    tenant.lastActiveAt = this.clock.now();
    this.release(tenant);
  }

  /** Every waiting task, oldest first per tenant. */
  *waitingItems(): Iterable<T> {
    for (const tenant of this.tenants.values()) for (const w of tenant.waiting) yield w.item;
  }

  /** Removes and returns every waiting task (on stop: they stay with the backend, unsettled). */
  /** Drops one waiting task (its delivery is no longer this executor's); false if it was not waiting. */
  drop(item: T, tags: TaskTags): boolean {
    const tenant = this.tenants.get(tags.tenantId);
    const index = tenant?.waiting.findIndex((w) => w.item === item) ?? -1;
    if (!tenant || index < 0) return false;
    const [w] = tenant.waiting.splice(index, 1);
    if (!w) return false;
    tenant.priorities[w.tags.priority] = (tenant.priorities[w.tags.priority] ?? 1) - 1;
    const counts = this.workflow(tenant, w.tags.workflowId);
    counts.waiting--;
    if (counts.running <= 0 && counts.waiting <= 0) tenant.workflows.delete(w.tags.workflowId);
    this.waitingTotal--;
    this.release(tenant);
    return true;
  }

  takeAllWaiting(): T[] {
    const out: T[] = [];
    for (const tenant of this.tenants.values()) {
      if (tenant.waiting.length === 0) continue;
      for (const w of tenant.waiting) {
        out.push(w.item);
        const counts = this.workflow(tenant, w.tags.workflowId);
        counts.waiting--;
        if (counts.running <= 0 && counts.waiting <= 0) tenant.workflows.delete(w.tags.workflowId);
      }
      tenant.waiting = [];
      tenant.priorities = [0, 0, 0, 0, 0, 0];
      this.release(tenant);
    }
    this.waitingTotal = 0;
    return out;
  }

  /** Per tenant: running and waiting tasks and its fair share of the slots (active tenants only). */
  loads(): TenantLoad[] {
    const active = this.activeTenants();
    const shares = fairShares(new Map([...active].map(([id, t]) => [id, t.share])), this.settings.concurrency);
    return [...active].map(([tenant, t]) => ({ tenant, inFlight: t.running, waiting: t.waiting.length, share: shares.get(tenant) ?? 0 }));
  }

  private admitsNow(tenantId: string, workflowId: string): boolean {
    const { readAhead, workflowCap } = this.settings;
    if (this.waitingTotal >= readAhead) return false;
    const tenant = this.tenants.get(tenantId);
    const share = tenant?.share ?? shareOf(this.settings.shares, tenantId);
    const waiting = tenant?.waiting.length ?? 0;
    if (waiting === 0) return true;
    // Its part of the read-ahead among the tenants holding work, keeping room for one more tenant.
    const held = tenant && tenant.running + waiting > 0 ? this.heldWeight : this.heldWeight + share.weight;
    const limit = Math.max(1, Math.min(Math.floor((readAhead * share.weight) / (held + this.settings.shares.fallback.weight)), share.cap ?? Infinity));
    if (waiting >= limit) return false;
    return workflowCap === undefined || (tenant?.workflows.get(workflowId)?.waiting ?? 0) < workflowCap;
  }

  private fairPick(free: number): [TenantState<T>, number] | undefined {
    let best: [TenantState<T>, number] | undefined;
    let bestScore = Infinity;
    let shares: Map<string, number> | undefined;
    for (const [id, tenant] of this.tenants) {
      if (tenant.waiting.length === 0) continue;
      if (tenant.share.cap !== undefined && tenant.running >= tenant.share.cap) continue;
      const index = this.bestOf(tenant);
      if (index < 0) continue;
      // (A tenant known alone is the only active one: its share is every slot.)
      if (free <= this.settings.reserve && this.tenants.size > 1) {
        // The last slots go only to tenants still below their share among recently active tenants.
        shares ??= fairShares(new Map([...this.activeTenants()].map(([t, s]) => [t, s.share])), this.settings.concurrency);
        if (tenant.running + 1 > (shares.get(id) ?? 0) + 1e-9) continue;
      }
      const score = tenant.running / tenant.share.weight;
      if (score < bestScore || (score === bestScore && best && tenant.lastServed < best[0].lastServed)) {
        best = [tenant, index];
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * While every slot is taken, a tenant with nothing running (a newcomer, or one whose last task
   * ended) may start one task beyond the slots, up to max(1, reserve) such tasks at once: a running
   * task is never interrupted, so without this a newcomer would wait for a slot to free, up to a
   * whole task's duration of the tenant that holds them. The tenant holding the slots keeps them all.
   */
  private newcomerPick(): [TenantState<T>, number] | undefined {
    if (!this.settings.enabled || this.runningTotal >= this.settings.concurrency + Math.max(1, this.settings.reserve)) return undefined;
    let best: [TenantState<T>, number] | undefined;
    for (const tenant of this.tenants.values()) {
      if (tenant.running > 0 || tenant.waiting.length === 0) continue;
      if (tenant.share.cap !== undefined && tenant.running >= tenant.share.cap) continue;
      const index = this.bestOf(tenant);
      if (index < 0) continue;
      if (!best || tenant.lastServed < best[0].lastServed) best = [tenant, index];
    }
    return best;
  }

  /** The tenant's next task: most urgent, then of the workflow with fewest running, then oldest; -1 if every workflow is at its cap. */
  private bestOf(tenant: TenantState<T>): number {
    const cap = this.settings.workflowCap;
    // With one workflow (and no cap to check) the first task of the most urgent priority is the one.
    const urgent = tenant.priorities.findIndex((n, p) => p > 0 && n > 0);
    if (cap === undefined && tenant.workflows.size === 1) return tenant.waiting.findIndex((w) => w.tags.priority === urgent);
    let best = -1;
    let bestPriority = Infinity;
    let bestRunning = Infinity;
    for (let i = 0; i < tenant.waiting.length; i++) {
      const w = tenant.waiting[i] as Waiting<T>;
      const running = tenant.workflows.get(w.tags.workflowId)?.running ?? 0;
      if (cap !== undefined && running >= cap) continue;
      if (w.tags.priority < bestPriority || (w.tags.priority === bestPriority && running < bestRunning)) {
        best = i;
        bestPriority = w.tags.priority;
        bestRunning = running;
        if (bestPriority === urgent && running === 0) break;
      }
    }
    return best;
  }

  private oldest(): [TenantState<T>, number] | undefined {
    let best: [TenantState<T>, number] | undefined;
    let bestSeq = Infinity;
    for (const tenant of this.tenants.values()) {
      const first = tenant.waiting[0];
      if (first && first.seq < bestSeq) {
        best = [tenant, 0];
        bestSeq = first.seq;
      }
    }
    return best;
  }

  /** Tenants holding work or active within the window; forgets the others. */
  private activeTenants(): Map<string, TenantState<T>> {
    const now = this.clock.now();
    const active = new Map<string, TenantState<T>>();
    for (const [id, tenant] of this.tenants) {
      if (tenant.running > 0 || tenant.waiting.length > 0 || now - tenant.lastActiveAt < this.settings.activityWindowMs) active.set(id, tenant);
      else this.tenants.delete(id);
    }
    return active;
  }

  private tenant(tenantId: string): TenantState<T> {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      if (this.tenants.size >= this.pruneAt) this.pruneAt = Math.max(64, 2 * this.activeTenants().size);
      tenant = { share: shareOf(this.settings.shares, tenantId), running: 0, waiting: [], workflows: new Map(), priorities: [0, 0, 0, 0, 0, 0], lastActiveAt: this.clock.now(), lastServed: -1 };
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  private workflow(tenant: TenantState<T>, workflowId: string): { running: number; waiting: number } {
    let counts = tenant.workflows.get(workflowId);
    if (!counts) tenant.workflows.set(workflowId, (counts = { running: 0, waiting: 0 }));
    return counts;
  }

  /** Before a tenant gains a task: count its weight among tenants holding work. */
  private hold(tenant: TenantState<T>): void {
    if (tenant.running + tenant.waiting.length === 0) this.heldWeight += tenant.share.weight;
    tenant.lastActiveAt = this.clock.now();
  }

  /** After a tenant lost a task: stop counting its weight once it holds none. */
  private release(tenant: TenantState<T>): void {
    if (tenant.running + tenant.waiting.length === 0) this.heldWeight -= tenant.share.weight;
  }
}
