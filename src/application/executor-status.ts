import { ExecutorLoop } from './executor-loop';
import { Clock } from './ports/clock.port';
import { EventLoopMonitor } from './ports/event-loop-monitor.port';
import { ServiceStatus, StatusReport } from './ports/service-status.port';
import { TaskInbox } from './ports/task-inbox.port';

export interface ExecutorStatusSettings {
  /** The loop is considered stuck when it has not iterated for this long with free slots (ms). */
  stallAfterMs: number;
  /** An event-loop stall longer than this fails liveness (EXECUTOR_STALL_THRESHOLD, ms)… */
  eventLoopStallMs: number;
  /** …for this long after it ended (ms). */
  eventLoopStallWindowMs: number;
}

/** Liveness and readiness of the executor, from the loop, the task source and the event loop. */
export class ExecutorStatus implements ServiceStatus {
  constructor(
    private readonly loop: ExecutorLoop,
    private readonly inbox: TaskInbox,
    private readonly eventLoop: EventLoopMonitor,
    private readonly clock: Clock,
    private readonly settings: ExecutorStatusSettings,
  ) {}

  live(): StatusReport {
    const overdue = this.loop.overdueCount;
    if (overdue > 0) return { ok: false, reason: `${overdue} task(s) still running long past their deadline` };
    // Something held the event loop (a task's input defeated a limit): every tenant's tasks waited
    // meanwhile, and it may happen again, so the replica asks to be restarted.
    const stallMs = this.eventLoop.longestStallWithin(this.settings.eventLoopStallWindowMs);
    if (stallMs > this.settings.eventLoopStallMs) return { ok: false, reason: `event loop stalled for ${(stallMs / 1000).toFixed(1)} s` };
    const last = this.loop.lastActivityAt;
    // Not started yet, or draining: alive (a restart would only lose in-flight work).
    if (last === 0 || this.loop.isDraining) return { ok: true };
    // Waiting for a free slot is progress too: tasks have deadlines, so slots free up.
    if (this.loop.inFlightCount > 0) return { ok: true };
    const idleMs = this.clock.now() - last;
    if (idleMs > this.settings.stallAfterMs) return { ok: false, reason: `read loop made no progress for ${Math.round(idleMs / 1000)} s` };
    return { ok: true };
  }

  ready(): StatusReport {
    if (this.loop.isDraining) return { ok: false, reason: 'draining: shutting down, not taking new tasks' };
    if (this.loop.lastActivityAt === 0) return { ok: false, reason: 'starting' };
    if (!this.inbox.isReady()) return { ok: false, reason: 'task inbox not reachable or not set up' };
    if (!this.loop.isHealthy) return { ok: false, reason: 'the last read from the task inbox failed' };
    return { ok: true };
  }
}
