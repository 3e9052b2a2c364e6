export type TaskOutcomeLabel = 'success' | 'failure' | 'dead_letter' | 'duplicate';
export type RetryKind = 'processing' | 'transport' | 'workflow';
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Observations the service records. Labels are low-cardinality by contract: a task type,
 * an outcome, a reason code, a host; never a task id or a URL path.
 */
export interface Metrics {
  taskStarted(taskType: string): void;
  taskFinished(taskType: string, outcome: TaskOutcomeLabel, durationMs: number): void;
  retry(kind: RetryKind, taskType: string): void;
  deadLetter(reasonCode: string): void;
  inFlight(count: number): void;
  concurrencyLimit(limit: number): void;
  breakerState(host: string, state: BreakerState): void;
  reclaimed(stream: 'redis', count: number): void;
  pendingEntries(group: string, count: number): void;
  consumerLag(group: string, count: number): void;
  openApiCache(result: 'hit' | 'miss'): void;
}
