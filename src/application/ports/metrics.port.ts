export type TaskOutcomeLabel = 'success' | 'failure' | 'dead_letter' | 'duplicate';
export type RetryKind = 'processing' | 'transport' | 'workflow';
export type BreakerState = 'closed' | 'open' | 'half_open';
export type DocumentCacheResult = 'hit' | 'miss' | 'revalidated' | 'stale';

/** One tenant's load, for fair dispatch across tenants. */
export interface TenantLoad {
  tenant: string;
  /** Its tasks running now. */
  inFlight: number;
  /** Its tasks read and waiting for a slot. */
  waiting: number;
  /** Its fair share of the slots now (fractional; weights and caps applied among active tenants). */
  share: number;
}

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
  /**
   * What renewing an OpenAPI document whose in-process copy was missing or no longer fresh came to:
   * `hit` (a fresh copy in the shared cache, no request to the origin), `miss` (the document
   * fetched in full), `revalidated` (the origin answered `304 Not Modified`), `stale` (the origin
   * could not be reached and a stale copy was served). `backend`: the shared cache's (`redis`,
   * `nats`, `memory`), or `process` without one.
   */
  documentCache(result: DocumentCacheResult, backend: string): void;
  /**
   * A call task's call ended, by protocol (`http`, `openapi`, `graphql`, `grpc`, `asyncapi`):
   * `success` when the task's outcome is a success, `failure` otherwise. Adapters bound the label
   * values to the protocols the executor has.
   */
  callFinished(protocol: string, outcome: 'success' | 'failure', durationMs: number): void;
  /**
   * One message exchange with a broker (`call: asyncapi`): a publish or a request with its reply, by
   * protocol (only the protocols the broker adapter speaks, a short fixed list) and outcome.
   */
  brokerExchange(protocol: string, operation: 'publish' | 'request', outcome: 'success' | 'failure', durationMs: number): void;
  /**
   * Where per-tenant load is read from, given once at start-up: the adapter calls `source` when it
   * collects (a scrape), not on every task. Adapters bound the label values (the busiest tenants by
   * name, the rest together as `other`). Calling it again replaces the source.
   */
  tenantLoad(source: () => readonly TenantLoad[]): void;
  /**
   * An outbound call waited `waitMs` for a rate-limit slot. `limit` is the operator's host pattern
   * (CALL_RATE_LIMITS, so the label values are the configured patterns) or `task` for a task's own.
   */
  rateLimitWaited(limit: string, waitMs: number): void;
  /** An outbound call was not sent: no slot of `limit` came before its deadline or longest wait (RATE_LIMITED). */
  rateLimitRefused(limit: string): void;
  /** A downstream asked to slow down (429, 503 with Retry-After), so `limit`'s bucket was pushed back. */
  rateLimitPushedBack(limit: string, reason: 'retry_after' | 'backoff'): void;
}
