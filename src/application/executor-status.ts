import { ExecutorLoop } from './executor-loop';
import { Clock } from './ports/clock.port';
import { ServiceStatus, StatusReport } from './ports/service-status.port';
import { TaskSource } from './ports/task-source.port';

export interface ExecutorStatusSettings {
  /** The loop is considered stuck when it has not iterated for this long with free slots (ms). */
  stallAfterMs: number;
}

/** Liveness and readiness of the executor, from the loop and the task source. */
export class ExecutorStatus implements ServiceStatus {
  constructor(
    private readonly loop: ExecutorLoop,
    private readonly source: TaskSource,
    private readonly clock: Clock,
    private readonly settings: ExecutorStatusSettings,
  ) {}

  live(): StatusReport {
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
    if (!this.source.isReady()) return { ok: false, reason: 'task stream not reachable or consumer groups not set up' };
    if (!this.loop.isHealthy) return { ok: false, reason: 'the last read from the task stream failed' };
    return { ok: true };
  }
}
