/** Liveness or readiness, with a short human-readable reason when negative. */
export interface StatusReport {
  ok: boolean;
  /** Why the check fails (absent when `ok`). Never contains secrets. */
  reason?: string;
}

/**
 * What the health endpoints report. Both methods are cheap, synchronous and side-effect free
 * (they are probed every few seconds).
 */
export interface ServiceStatus {
  /** Liveness: the read loop is alive and making progress (a failing liveness probe restarts the process). */
  live(): StatusReport;
  /** Readiness: the task inbox is reachable and set up, the last read succeeded, and the service is not draining. */
  ready(): StatusReport;
}
