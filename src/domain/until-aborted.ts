/**
 * Waiting on shared work with a way out: the caller stops waiting when its signal aborts, and the
 * work goes on for whoever else waits on it (a document load, a broker connection being opened).
 */

/** The signal's reason when it is an Error, else a plain `aborted` error. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** `work`, unless `signal` aborts first: then `reasonOf(signal)` (by default its reason). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, reasonOf: (signal: AbortSignal) => Error = abortReason): Promise<T> {
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
