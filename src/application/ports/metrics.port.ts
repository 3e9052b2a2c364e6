export type TaskOutcomeLabel = 'success' | 'failure' | 'dead_letter' | 'duplicate';
export type RetryKind = 'processing' | 'transport' | 'workflow';
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Observations the service records. Labels are low-cardinality by contract: a task type,
 * an outcome, a reason code, a circuit state; never a task id, a host or a URL path.
 */
export interface Metrics {
  /**
   * The task types the executor runs (the handler registry's), given once at start-up before any
   * task: each is a label value of its own, and its series exist from the start at 0. Any other
   * task type (bad input, or none) is recorded as `other`. Calling it again replaces the list.
   */
  declareTaskTypes(taskTypes: readonly string[]): void;
  taskStarted(taskType: string): void;
  taskFinished(taskType: string, outcome: TaskOutcomeLabel, durationMs: number): void;
  retry(kind: RetryKind, taskType: string): void;
  deadLetter(reasonCode: string): void;
  inFlight(count: number): void;
  concurrencyLimit(limit: number): void;
  /** How many circuits are held in `state` now (whole counts; set for every state on each change). */
  circuitBreakers(state: BreakerState, count: number): void;
  /** A circuit opened after repeated failures (one tenant's calls to one host). */
  circuitOpened(): void;
  /** Deliveries taken over from replicas that stopped (redelivered to this one). */
  reclaimed(count: number): void;
  pendingEntries(group: string, count: number): void;
  consumerLag(group: string, count: number): void;
  openApiCache(result: 'hit' | 'miss'): void;
}
