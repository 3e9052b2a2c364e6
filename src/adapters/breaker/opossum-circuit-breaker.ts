import CircuitBreakerImpl from 'opossum';
import { CircuitBreaker } from '../../application/ports/circuit-breaker.port';
import { Metrics } from '../../application/ports/metrics.port';
import { isWorkflowError, WorkflowError } from '../../domain/workflow-error';

export interface OpossumCircuitBreakerOptions {
  enabled: boolean;
  /** Calls within the window before the circuit may open. */
  volumeThreshold: number;
  /** Failure percentage (0–100) within the window that opens the circuit. */
  errorThresholdPercentage: number;
  /** Rolling statistics window, in ms. */
  rollingWindowMs: number;
  /** How long an open circuit rejects calls before one trial call (half-open), in ms. */
  resetTimeoutMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: OpossumCircuitBreakerOptions = {
  enabled: true,
  volumeThreshold: 10,
  errorThresholdPercentage: 50,
  rollingWindowMs: 30_000,
  resetTimeoutMs: 30_000,
};

/** Carries a response that counts as a failure through opossum, which counts only rejections. */
class FailedResult extends Error {
  constructor(readonly value: unknown) {
    super('response counted as a failure');
  }
}

type Action = () => Promise<unknown>;

/**
 * One opossum circuit per key (a host). Only failures counted by `isFailure` (5xx) and
 * transport errors count; 4xx answers, cancellations and refused configurations do not.
 * An open circuit fails fast with a retryable `communication` error (CIRCUIT_OPEN).
 */
export class OpossumCircuitBreaker implements CircuitBreaker {
  private readonly circuits = new Map<string, CircuitBreakerImpl<[Action], unknown>>();

  constructor(
    private readonly metrics: Metrics,
    private readonly options: OpossumCircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
  ) {}

  async run<T>(key: string, action: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T> {
    if (!this.options.enabled) return action();
    const circuit = this.circuit(key);
    try {
      return (await circuit.fire(async () => {
        const result = await action();
        if (isFailure(result)) throw new FailedResult(result);
        return result;
      })) as T;
    } catch (error) {
      if (error instanceof FailedResult) return error.value as T;
      if ((error as { code?: string } | null)?.code === 'EOPENBREAKER') {
        throw new WorkflowError({
          kind: 'communication',
          code: 'CIRCUIT_OPEN',
          title: 'Circuit Open',
          detail: `circuit breaker open for ${key}: calls are refused for up to ${Math.round(this.options.resetTimeoutMs / 1000)} s after repeated failures`,
          status: 503,
          retryable: true,
          data: { host: key },
        });
      }
      throw error;
    }
  }

  /** `closed`, `open` or `half_open` (for tests and diagnostics). */
  state(key: string): 'closed' | 'open' | 'half_open' {
    const circuit = this.circuits.get(key);
    if (!circuit || circuit.closed) return 'closed';
    return circuit.opened ? 'open' : 'half_open';
  }

  close(): Promise<void> {
    for (const circuit of this.circuits.values()) circuit.shutdown();
    this.circuits.clear();
    return Promise.resolve();
  }

  private circuit(key: string): CircuitBreakerImpl<[Action], unknown> {
    let circuit = this.circuits.get(key);
    if (circuit) return circuit;
    circuit = new CircuitBreakerImpl<[Action], unknown>((action: Action) => action(), {
      name: key,
      timeout: false,
      errorThresholdPercentage: this.options.errorThresholdPercentage,
      volumeThreshold: this.options.volumeThreshold,
      rollingCountTimeout: this.options.rollingWindowMs,
      rollingCountBuckets: 10,
      resetTimeout: this.options.resetTimeoutMs,
      // Errors that say nothing about the downstream's health do not count.
      errorFilter: (error: unknown) =>
        isWorkflowError(error) && (error.code === 'ADDRESS_DENIED' || error.code === 'CANCELLED' || error.kind === 'configuration'),
    });
    circuit.on('open', () => this.metrics.breakerState(key, 'open'));
    circuit.on('halfOpen', () => this.metrics.breakerState(key, 'half_open'));
    circuit.on('close', () => this.metrics.breakerState(key, 'closed'));
    this.metrics.breakerState(key, 'closed');
    this.circuits.set(key, circuit);
    return circuit;
  }
}
