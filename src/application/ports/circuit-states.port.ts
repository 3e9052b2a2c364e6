import { BreakerState } from './metrics.port';

/** One circuit as an operator sees it: whose calls (tenant, host) and how the last window went. */
export interface CircuitView {
  tenant: string;
  /** `host:port` of the downstream. */
  host: string;
  state: BreakerState;
  /** Calls within the rolling window (CIRCUIT_BREAKER_WINDOW). */
  calls: number;
  /** Of those, calls that counted as failures (5xx, transport errors). */
  failures: number;
  /** Calls refused at once while the circuit was open. */
  rejected: number;
}

/** Read-only view of the circuits held (for the console). */
export interface CircuitStates {
  /** The circuits held now (at most CIRCUIT_BREAKER_MAX_CIRCUITS), open ones first. Cheap; no I/O. */
  snapshot(): CircuitView[];
}
