import CircuitBreakerImpl from 'opossum';
import { CircuitBreaker, CircuitScope } from '../../application/ports/circuit-breaker.port';
import { CircuitStates, CircuitView } from '../../application/ports/circuit-states.port';
import { Logger } from '../../application/ports/logger.port';
import { BreakerState, Metrics } from '../../application/ports/metrics.port';
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
  /** Most circuits held (tenant and host pairs); beyond it the least recently used closed one is dropped. */
  maxCircuits: number;
}

export const DEFAULT_BREAKER_OPTIONS: OpossumCircuitBreakerOptions = {
  enabled: true,
  volumeThreshold: 10,
  errorThresholdPercentage: 50,
  rollingWindowMs: 30_000,
  resetTimeoutMs: 30_000,
  maxCircuits: 1000,
};

const STATES: readonly BreakerState[] = ['closed', 'half_open', 'open'];

/** Carries a response that counts as a failure through opossum, which counts only rejections. */
class FailedResult extends Error {
  constructor(readonly value: unknown) {
    super('response counted as a failure');
  }
}

type Action = () => Promise<unknown>;

interface Circuit {
  readonly key: string;
  readonly scope: CircuitScope;
  readonly impl: CircuitBreakerImpl<[Action], unknown>;
  state: BreakerState;
}

function keyOf(scope: CircuitScope): string {
  // A NUL cannot occur in a host, so two scopes never share a key.
  return `${scope.tenant}\u0000${scope.host}`;
}

/**
 * One opossum circuit per tenant and host. Only failures counted by `isFailure` (5xx) and
 * transport errors count; 4xx answers, cancellations and refused configurations do not. An open
 * circuit fails fast with a retryable `communication` error (CIRCUIT_OPEN).
 *
 * At most `maxCircuits` circuits are held: hosts are chosen by workflow authors, so their number
 * is unbounded. Beyond the bound the least recently used closed circuit is dropped (it says
 * nothing that a new closed circuit would not), then a half-open one; an open circuit is
 * dropped only when every circuit is open, the oldest first. A dropped circuit is shut down, so
 * its timers stop. Metrics count circuits per state, never per host.
 */
export class OpossumCircuitBreaker implements CircuitBreaker, CircuitStates {
  /** In order of last use, least recent first (Map order is insertion order; a use re-inserts). */
  private readonly circuits = new Map<string, Circuit>();
  private readonly counts: Record<BreakerState, number> = { closed: 0, half_open: 0, open: 0 };

  constructor(
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: OpossumCircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
  ) {
    this.publish();
  }

  async run<T>(scope: CircuitScope, action: () => Promise<T>, isFailure: (result: T) => boolean): Promise<T> {
    if (!this.options.enabled) return action();
    const circuit = this.circuit(scope);
    try {
      return (await circuit.impl.fire(async () => {
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
          detail: `circuit breaker open for ${scope.host}: calls are refused for up to ${Math.round(this.options.resetTimeoutMs / 1000)} s after repeated failures`,
          status: 503,
          retryable: true,
          data: { host: scope.host },
        });
      }
      throw error;
    }
  }

  /** `closed`, `open` or `half_open` (for tests and diagnostics); a circuit not held is closed. */
  state(scope: CircuitScope): BreakerState {
    return this.circuits.get(keyOf(scope))?.state ?? 'closed';
  }

  snapshot(): CircuitView[] {
    const order: Record<BreakerState, number> = { open: 0, half_open: 1, closed: 2 };
    return [...this.circuits.values()]
      .map(({ scope, state, impl }) => {
        const stats = impl.stats;
        return { tenant: scope.tenant, host: scope.host, state, calls: stats.fires, failures: stats.failures, rejected: stats.rejects };
      })
      .sort((a, b) => order[a.state] - order[b.state]);
  }

  /** Circuits held now. */
  get size(): number {
    return this.circuits.size;
  }

  close(): Promise<void> {
    for (const circuit of this.circuits.values()) circuit.impl.shutdown();
    this.circuits.clear();
    for (const state of STATES) this.counts[state] = 0;
    this.publish();
    return Promise.resolve();
  }

  private circuit(scope: CircuitScope): Circuit {
    const key = keyOf(scope);
    const existing = this.circuits.get(key);
    if (existing) {
      this.circuits.delete(key);
      this.circuits.set(key, existing);
      return existing;
    }
    while (this.circuits.size >= Math.max(1, this.options.maxCircuits)) this.evict();
    const impl = new CircuitBreakerImpl<[Action], unknown>((action: Action) => action(), {
      name: scope.host,
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
    const circuit: Circuit = { key, scope: { tenant: scope.tenant, host: scope.host }, impl, state: 'closed' };
    impl.on('open', () => this.transition(circuit, 'open'));
    impl.on('halfOpen', () => this.transition(circuit, 'half_open'));
    impl.on('close', () => this.transition(circuit, 'closed'));
    this.circuits.set(key, circuit);
    this.counts.closed++;
    this.publish();
    return circuit;
  }

  private transition(circuit: Circuit, state: BreakerState): void {
    if (this.circuits.get(circuit.key) !== circuit || circuit.state === state) return;
    this.counts[circuit.state]--;
    this.counts[state]++;
    circuit.state = state;
    this.publish();
    const { tenant, host } = circuit.scope;
    if (state === 'open') {
      this.metrics.circuitOpened();
      this.logger.warn('circuit opened: calls to the host are refused', { tenant, host, resetTimeoutMs: this.options.resetTimeoutMs });
    } else if (state === 'closed') {
      this.logger.info('circuit closed: calls to the host pass again', { tenant, host });
    }
  }

  /**
   * Drops the least recently used closed circuit, else half-open one. When every circuit is open,
   * the oldest one of the tenant holding the most circuits goes: a tenant that opens circuits to
   * many hosts evicts its own, not other tenants' open circuits.
   */
  private evict(): void {
    let victim: Circuit | undefined;
    for (const wanted of ['closed', 'half_open'] as const) {
      for (const circuit of this.circuits.values()) {
        if (circuit.state === wanted) {
          victim = circuit;
          break;
        }
      }
      if (victim) break;
    }
    if (!victim) {
      const held = new Map<string, number>();
      for (const circuit of this.circuits.values()) held.set(circuit.scope.tenant, (held.get(circuit.scope.tenant) ?? 0) + 1);
      const busiest = [...held.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      for (const circuit of this.circuits.values()) {
        if (circuit.scope.tenant === busiest) {
          victim = circuit;
          break;
        }
      }
    }
    if (!victim) return;
    this.circuits.delete(victim.key);
    this.counts[victim.state]--;
    victim.impl.shutdown();
    this.publish();
  }

  private publish(): void {
    for (const state of STATES) this.metrics.circuitBreakers(state, this.counts[state]);
  }
}
