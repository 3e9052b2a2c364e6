/** Time, so that the domain and tests never read the wall clock or start timers themselves. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason when the signal
   * aborts first (the timer is then cleared). `ms <= 0` resolves on the next tick.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A signal's abort reason as an Error (AbortSignal reasons are `unknown`). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'aborted');
}
