import { toWorkflowError } from '../domain/workflow-error';
import { Clock } from './ports/clock.port';
import { Logger } from './ports/logger.port';
import { Metrics } from './ports/metrics.port';
import { InboundTask, TaskInbox } from './ports/task-inbox.port';
import { ProcessDelivery } from './use-cases/process-delivery.use-case';

export interface ExecutorLoopSettings {
  /** Tasks run at once (EXECUTOR_CONCURRENCY); also the most entries held in memory. */
  concurrency: number;
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

/**
 * Reads deliveries while it has free slots and runs each through ProcessDelivery. Never reads
 * ahead of the concurrency limit, so a crash strands at most `concurrency` entries and load
 * spreads across replicas.
 */
export class ExecutorLoop {
  private readonly inFlight = new Map<InboundTask, Running>();
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
  ) {}

  /** Starts reading in the background. */
  start(): void {
    if (this.running) return;
    this.metrics.concurrencyLimit(this.settings.concurrency);
    this.lastProgressAt = this.clock.now();
    this.running = this.readLoop();
    if (this.settings.keepAliveIntervalMs > 0) this.heartbeat = this.keepAliveLoop();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
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
    this.slotFreed?.();
    const timer = new AbortController();
    const forced = this.clock.sleep(deadlineMs, timer.signal).then(
      () => {
        if (this.inFlight.size > 0) this.logger.warn('shutdown deadline reached; cancelling in-flight tasks', { inFlight: this.inFlight.size });
        this.forceStop.abort();
      },
      () => undefined,
    );
    await this.whenIdle();
    this.heartbeatStop.abort();
    timer.abort();
    await forced;
    await this.running;
    await this.heartbeat;
  }

  private async readLoop(): Promise<void> {
    let backoff = this.settings.errorBackoffMs;
    const signal = this.stopReading.signal;
    while (!signal.aborted) {
      this.lastProgressAt = this.clock.now();
      const free = this.settings.concurrency - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        this.slotFreed = undefined;
        continue;
      }
      let deliveries: InboundTask[];
      try {
        deliveries = await this.inbox.receive(free, signal);
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
      for (const delivery of deliveries) this.spawn(delivery);
    }
  }

  private spawn(delivery: InboundTask): void {
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
      this.metrics.inFlight(this.inFlight.size);
      this.slotFreed?.();
      if (this.inFlight.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
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
    }
  }
}
