/**
 * Whose calls share a circuit: one tenant's calls to one host (`host:port`). One tenant's failing
 * calls never open the circuit for another tenant's calls to the same host.
 */
export interface CircuitScope {
  tenant: string;
  host: string;
}

/**
 * One circuit per scope. `run` calls `action` while the circuit is closed or half-open; while it
 * is open it throws a retryable `communication` WorkflowError (CIRCUIT_OPEN) at once, without
 * calling `action`. `isFailure` decides which outcomes count against the circuit (4xx answers do
 * not); errors of kind `configuration`, ADDRESS_DENIED and CANCELLED never count. The number of
 * circuits held is bounded: an idle closed circuit may be forgotten (it starts closed again).
 */
export interface CircuitBreaker {
  run<T>(scope: CircuitScope, action: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T>;
  /** Stops every circuit's timers. Idempotent. */
  close(): Promise<void>;
}
