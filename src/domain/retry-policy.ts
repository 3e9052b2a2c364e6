import { WorkflowError } from './workflow-error';

export type Backoff =
  | { kind: 'constant' }
  | { kind: 'linear'; incrementMs: number }
  | { kind: 'exponential'; multiplier: number };

export interface RetryPolicySpec {
  /** Delay before the first retry, in ms. */
  delayMs: number;
  backoff: Backoff;
  /** Upper bound for any single computed delay (before jitter), in ms. */
  maxDelayMs?: number;
  /** Total attempts allowed, the first one included (`count: 3` → three calls). */
  maxAttempts?: number;
  /** Retries stop once this much time has passed since the first attempt started, in ms. */
  maxElapsedMs?: number;
  /** A single attempt that ran longer than this is not retried, in ms. */
  maxAttemptDurationMs?: number;
  /** Extra random delay in [fromMs, toMs). */
  jitter?: { fromMs: number; toMs: number };
  /**
   * `retryable-errors`: only errors whose kind says a retry can help (processing retries);
   * `any`: the caller already chose to retry this error (a workflow's catch filter).
   */
  retryOn: 'retryable-errors' | 'any';
}

export interface RetryState {
  /** Attempts made so far, the failed one included (1 after the first failure). */
  attempt: number;
  /** Time since the first attempt started, in ms. */
  elapsedMs: number;
  /** How long the failed attempt ran, in ms. */
  lastAttemptMs?: number;
  error: WorkflowError;
  /** A number in [0, 1) from the Random port. */
  random: number;
}

export type RetryDecision = { action: 'retry'; delayMs: number } | { action: 'give-up'; reason: string };

/** Pure backoff and limit arithmetic shared by processing retries and workflow (`try`) retries. */
export class RetryPolicy {
  constructor(readonly spec: RetryPolicySpec) {}

  /** The delay after the given failed attempt (1-based), jitter included. */
  delayAfter(attempt: number, random: number): number {
    const { delayMs, backoff, maxDelayMs, jitter } = this.spec;
    const n = Math.max(1, attempt);
    let delay: number;
    switch (backoff.kind) {
      case 'constant':
        delay = delayMs;
        break;
      case 'linear':
        delay = delayMs + (n - 1) * backoff.incrementMs;
        break;
      case 'exponential':
        delay = delayMs * Math.pow(backoff.multiplier, n - 1);
        break;
    }
    if (maxDelayMs !== undefined) delay = Math.min(delay, maxDelayMs);
    if (jitter && jitter.toMs > jitter.fromMs) delay += jitter.fromMs + random * (jitter.toMs - jitter.fromMs);
    else if (jitter) delay += jitter.fromMs;
    return Math.max(0, Math.round(delay));
  }

  decide(state: RetryState): RetryDecision {
    const { maxAttempts, maxElapsedMs, maxAttemptDurationMs, retryOn } = this.spec;
    if (retryOn === 'retryable-errors' && !state.error.retryable) {
      return { action: 'give-up', reason: `${state.error.code} is not retryable` };
    }
    if (maxAttempts !== undefined && state.attempt >= maxAttempts) {
      return { action: 'give-up', reason: `attempt limit of ${maxAttempts} reached` };
    }
    if (maxAttemptDurationMs !== undefined && state.lastAttemptMs !== undefined && state.lastAttemptMs > maxAttemptDurationMs) {
      return { action: 'give-up', reason: `attempt ran longer than ${maxAttemptDurationMs} ms` };
    }
    const delayMs = this.delayAfter(state.attempt, state.random);
    if (maxElapsedMs !== undefined && state.elapsedMs + delayMs > maxElapsedMs) {
      return { action: 'give-up', reason: `retry duration limit of ${maxElapsedMs} ms reached` };
    }
    return { action: 'retry', delayMs };
  }
}
