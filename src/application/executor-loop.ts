import { toWorkflowError } from '../domain/workflow-error';
import { Clock } from './ports/clock.port';
import { Logger } from './ports/logger.port';
import { Metrics } from './ports/metrics.port';
import { DEFAULT_TENANT_SHARES } from '../domain/fair-share';
import { TASK_REQUESTED } from '../domain/flunq-event';
import { FairDispatchSettings, FairScheduler, TaskTags } from './fair-dispatch/fair-scheduler';
import { tagsOf } from './fair-dispatch/task-tags';
import { InboundTask, TaskInbox } from './ports/task-inbox.port';
import { ProcessDelivery } from './use-cases/process-delivery.use-case';

export interface ExecutorLoopSettings {
  /** Tasks run at once (EXECUTOR_CONCURRENCY). */
  concurrency: number;
  /**
   * Fair dispatch across tenants (weights, caps, priority, read-ahead); absent or off: first come,
   * first served, reading only into free slots.
   */
  fair?: Omit<FairDispatchSettings, 'concurrency'>;
  /** How long to wait before reading again after the inbox failed, in ms (doubles up to 30 s). */
  errorBackoffMs: number;
  /** How often running tasks renew their claim on their entries, in ms (0 disables). */
  keepAliveIntervalMs: number;
  /** How long a delivery is renewed before its task's own deadline is known (the default task timeout), ms. */
  defaultHoldMs: number;
  /**
   * How long past its task's deadline a delivery is still renewed (publication and its retries), ms.
   * A task still running after that is stuck: its delivery is left to be redelivered (so the
   * delivery count grows to the dead-letter limit) and liveness fails.
   */
  overrunGraceMs: number;
}

interface Running {
  since: number;
  /** Epoch ms after which the delivery is no longer renewed. */
  renewUntil: number;
  overdue: boolean;
}

const FIRST_COME: Omit<FairDispatchSettings, 'concurrency'> = {
  enabled: false,
  readAhead: 0,
  shares: DEFAULT_TENANT_SHARES,
  workflowCap: undefined,
  reserve: 0,
  activityWindowMs: 0,
};

/** Why a read was ended early (a ready-made reason: aborting without one builds a DOMException each time). */
const READ_ENDED = new Error('read ended');

/** Without fair dispatch every task is alike (first come, first served). */
const FIRST_COME_TAGS: TaskTags = { tenantId: '', workflowId: '', priority: 3 };

/**
 * Reads deliveries and runs each through ProcessDelivery, at most `concurrency` at once. With fair
 * dispatch, it reads ahead into a bounded buffer (at most `readAhead` deliveries waiting, kept alive
 * like running ones) through the scheduler's read gate, and each free slot goes to the task the
 * scheduler picks; without, it reads only into free slots, first come first served. Either way a
 * crash strands at most `concurrency + readAhead` deliveries.
 */
export class ExecutorLoop {
  private readonly inFlight = new Map<InboundTask, Running>();
  /** Deliveries read and waiting for a slot, with when they were read (for keep-alive). */
  private readonly waitingSince = new Map<InboundTask, number>();
  private readonly scheduler: FairScheduler<InboundTask>;
  /** Deliveries that are not task requests, being acknowledged outside the slots (fair dispatch). */
  private readonly passing = new Set<Promise<unknown>>();
  /**
   * The signal of the read in progress: aborted on stop, and when the gate turned work away and
   * that work should now be read (see FairScheduler.readWorthRenewing).
   */
  private readWake = new AbortController();
  private readonly stopReading = new AbortController();
  private readonly forceStop = new AbortController();
  private readonly heartbeatStop = new AbortController();
  private slotFreed: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private running: Promise<void> | undefined;
  private heartbeat: Promise<void> | undefined;
  private maxObserved = 0;
  private healthy = true;
  private lastProgressAt = 0;

  constructor(
    private readonly inbox: TaskInbox,
    private readonly processDelivery: ProcessDelivery,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly settings: ExecutorLoopSettings,
  ) {
    const fair = settings.fair?.enabled ? settings.fair : FIRST_COME;
    this.scheduler = new FairScheduler({ ...fair, concurrency: settings.concurrency }, clock);
  }

  /** Starts reading in the background. */
  start(): void {
    if (this.running) return;
    this.metrics.concurrencyLimit(this.settings.concurrency);
    this.metrics.tenantLoad(() => this.scheduler.loads());
    this.lastProgressAt = this.clock.now();
    this.running = this.readLoop();
    if (this.settings.keepAliveIntervalMs > 0) this.heartbeat = this.keepAliveLoop();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Deliveries read and waiting for a slot (fair dispatch). */
  get waitingCount(): number {
    return this.scheduler.waiting;
  }

  /** Tasks still running well past their deadline (their deliveries are no longer renewed). */
  get overdueCount(): number {
    let n = 0;
    for (const running of this.inFlight.values()) if (running.overdue) n++;
    return n;
  }

  /** The largest number of tasks that ever ran at once (for tests and benchmarks). */
  get maxInFlightObserved(): number {
    return this.maxObserved;
  }

  /** False while the last read failed (feeds readiness). */
  get isHealthy(): boolean {
    return this.healthy;
  }

  get isDraining(): boolean {
    return this.stopReading.signal.aborted;
  }

  /** Epoch ms of the last loop iteration (feeds liveness). */
  get lastActivityAt(): number {
    return this.lastProgressAt;
  }

  /** Resolves once nothing is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Graceful stop: stop reading, let in-flight tasks finish and publish until `deadlineMs`
   * has passed, then cancel the rest (they still publish a failed, cancelled outcome).
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopReading.abort();
    this.readWake.abort(READ_ENDED);
    this.slotFreed?.();
    // Deliveries that never started are given back unsettled, so that another replica takes them
    // without waiting out the redelivery time (left with the backend all the same if that fails).
    for (const delivery of this.scheduler.takeAllWaiting()) {
      this.waitingSince.delete(delivery);
      this.giveBack(delivery);
    }
    const timer = new AbortController();
    const forced = this.clock.sleep(deadlineMs, timer.signal).then(
      () => {
        if (this.inFlight.size > 0) this.logger.warn('shutdown deadline reached; cancelling in-flight tasks', { inFlight: this.inFlight.size });
        this.forceStop.abort();
      },
      () => undefined,
    );
    await this.whenIdle();
    // The last read (ended by the stop) may still hand over outcomes to acknowledge.
    await this.running;
    await Promise.all(this.passing);
    this.heartbeatStop.abort();
    timer.abort();
    await forced;
    await this.heartbeat;
  }

  private async readLoop(): Promise<void> {
    let backoff = this.settings.errorBackoffMs;
    const signal = this.stopReading.signal;
    const fair = this.settings.fair?.enabled === true;
    const readAhead = fair ? (this.settings.fair?.readAhead ?? 0) : 0;
    const capacity = this.settings.concurrency + readAhead;
    while (!signal.aborted) {
      this.lastProgressAt = this.clock.now();
      const room = capacity - this.inFlight.size - this.scheduler.waiting;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        this.slotFreed = undefined;
        continue;
      }
      // One read never fills the buffer: at most the free slots and half the read-ahead (less what
      // waits), so that whatever tenant shows up next still finds room; and at least one, so that it
      // is seen while every slot is busy.
      const free = this.settings.concurrency - this.inFlight.size;
      const max = fair ? Math.min(room, Math.max(1, free + Math.ceil(readAhead / 2) - this.scheduler.waiting)) : room;
      // Only what the gate turns away during this read may end it early.
      this.scheduler.clearRefused();
      let deliveries: InboundTask[];
      try {
        deliveries = await this.inbox.receive(max, this.readWake.signal, fair ? this.scheduler : undefined);
        this.healthy = true;
        backoff = this.settings.errorBackoffMs;
      } catch (error) {
        if (signal.aborted) break;
        this.healthy = false;
        this.logger.error('reading the task inbox failed; backing off', { error: toWorkflowError(error).detail, backoffMs: backoff });
        await this.clock.sleep(backoff, signal).catch(() => undefined);
        backoff = Math.min(backoff * 2, 30_000);
        continue;
      }
      if (this.readWake.signal.aborted && !signal.aborted) this.readWake = new AbortController();
      const now = this.clock.now();
      for (const delivery of deliveries) {
        if (fair && signal.aborted && delivery.event.type === TASK_REQUESTED) {
          // Read while stopping: not started, given back like the waiting ones.
          this.giveBack(delivery);
          continue;
        }
        if (fair && delivery.event.type !== TASK_REQUESTED) {
          // Not a task (an outcome the inbox also delivers): acknowledged at once, neither waiting
          // for a slot nor counted against its tenant's share.
          this.passThrough(delivery);
          continue;
        }
        this.waitingSince.set(delivery, now);
        this.scheduler.enqueue(delivery, fair ? tagsOf(delivery.event) : FIRST_COME_TAGS);
      }
      this.dispatch();
    }
  }

  /** Starts the tasks the scheduler picks while slots are free. */
  private dispatch(): void {
    for (let next = this.scheduler.next(); next; next = this.scheduler.next()) {
      this.waitingSince.delete(next.item);
      this.spawn(next.item, next.tags);
    }
  }

  private passThrough(delivery: InboundTask): void {
    const done = this.processDelivery.execute(delivery, this.forceStop.signal).finally(() => this.passing.delete(done));
    this.passing.add(done);
  }

  private spawn(delivery: InboundTask, tags: TaskTags): void {
    const now = this.clock.now();
    const running: Running = { since: now, renewUntil: now + this.settings.defaultHoldMs + this.settings.overrunGraceMs, overdue: false };
    this.inFlight.set(delivery, running);
    this.maxObserved = Math.max(this.maxObserved, this.inFlight.size);
    this.metrics.inFlight(this.inFlight.size);
    const onDeadline = (deadline: number): void => {
      running.renewUntil = deadline + this.settings.overrunGraceMs;
    };
    void this.processDelivery.execute(delivery, this.forceStop.signal, onDeadline).finally(() => {
      this.inFlight.delete(delivery);
      this.scheduler.finished(tags);
      if (!this.stopReading.signal.aborted) this.dispatch();
      this.metrics.inFlight(this.inFlight.size);
      // A read that the gate narrowed may now admit more: end it, so the next one asks again.
      if (this.scheduler.readWorthRenewing()) {
        this.scheduler.clearRefused();
        this.readWake.abort(READ_ENDED);
      }
      this.slotFreed?.();
      if (this.inFlight.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }

  /** A delivery read and never started, while stopping: released (tracked, so that stop waits for it). */
  private giveBack(delivery: InboundTask): void {
    const released = delivery.release().catch((error: unknown) =>
      this.logger.warn('could not give back a task that was not started; it is redelivered after the redelivery time', { origin: delivery.origin, error: toWorkflowError(error).detail }),
    );
    this.passing.add(released);
    void released.finally(() => this.passing.delete(released));
  }

  private async keepAliveLoop(): Promise<void> {
    const interval = this.settings.keepAliveIntervalMs;
    const signal = this.heartbeatStop.signal;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(interval, signal);
      } catch {
        return;
      }
      const now = this.clock.now();
      for (const [delivery, running] of this.inFlight) {
        if (now - running.since < interval || running.overdue) continue;
        if (now > running.renewUntil) {
          // A bug left the task hanging past its deadline: stop holding its delivery, so that it is
          // redelivered (its count growing to the dead-letter limit) and liveness asks for a restart.
          running.overdue = true;
          this.logger.error('a task is still running long past its deadline; its delivery is no longer renewed', { origin: delivery.origin, runningMs: now - running.since });
          continue;
        }
        await delivery.renew().catch((error: unknown) =>
          this.logger.warn('could not renew the claim on a running task', { origin: delivery.origin, error: toWorkflowError(error).detail }),
        );
      }
      // Read ahead and waiting for a slot: held as long as they wait (the buffer is bounded).
      for (const [delivery, since] of [...this.waitingSince]) {
        if (now - since < interval || !this.waitingSince.has(delivery)) continue;
        const held = await delivery.renew().catch((error: unknown) => {
          this.logger.warn('could not renew a delivery waiting for a slot', { origin: delivery.origin, error: toWorkflowError(error).detail });
          return true;
        });
        // Redelivered elsewhere meanwhile (or settled): that delivery runs it; this one must not.
        if (!held && this.waitingSince.delete(delivery)) {
          this.scheduler.drop(delivery, this.settings.fair?.enabled === true ? tagsOf(delivery.event) : FIRST_COME_TAGS);
          this.logger.warn('a task waiting for a slot was redelivered elsewhere; it is left to that delivery', { origin: delivery.origin });
        }
      }
    }
  }
}
