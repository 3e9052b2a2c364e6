/**
 * One circuit per key (a host). `run` calls `action` while the circuit is closed or half-open;
 * while it is open it throws a retryable `communication` WorkflowError (CIRCUIT_OPEN) at once.
 * `isFailure` decides which outcomes count against the circuit (4xx answers do not).
 */
export interface CircuitBreaker {
  run<T>(key: string, action: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T>;
  close(): Promise<void>;
}
