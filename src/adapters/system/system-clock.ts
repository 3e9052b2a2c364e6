import { abortReason, Clock } from '../../application/ports/clock.port';

const MAX_TIMER_MS = 2_147_483_647;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason(signal));
      };
      // Node fires a timer longer than 2^31-1 ms after 1 ms: wait in chunks until the due time.
      const due = Date.now() + Math.max(0, ms);
      const arm = (): NodeJS.Timeout =>
        setTimeout(() => {
          const left = due - Date.now();
          if (left > 0) {
            timer = arm();
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
      let timer = arm();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
