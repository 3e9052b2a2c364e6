import { abortReason, Clock } from '../../src/application/ports/clock.port';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets promise chains triggered by a timer run to their next wait. */
export async function flushAsyncWork(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told to. `advance` fires due timers in time order, letting
 * the work each one triggers run before the next fires, so timers scheduled meanwhile
 * (retries, backoffs) fire within the same advance when they fall inside it.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];
  private readonly outsideWork: (() => Promise<boolean>)[] = [];

  constructor(startMs = Date.UTC(2025, 7, 25, 19, 35, 40)) {
    this.time = startMs;
  }

  /**
   * Work the clock must also wait for before it moves on: work outside the event loop, such as an
   * expression running in a worker thread, whose answer arrives in real time. `wait` resolves
   * `true` after it had to wait for something, `false` when nothing was running.
   */
  alsoWaitFor(wait: () => Promise<boolean>): void {
    this.outsideWork.push(wait);
  }

  /** Lets every piece of work that does not wait for the clock run to its next wait. */
  async settle(turns = 10): Promise<void> {
    for (;;) {
      await flushAsyncWork(turns);
      let waited = false;
      for (const wait of this.outsideWork) if (await wait()) waited = true;
      if (!waited) return;
    }
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { at: this.time + ms, seq: this.seq++, resolve: () => undefined };
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortReason(signal));
      };
      timer.resolve = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await this.settle();
      const next = this.nextTimer();
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
    this.time = target;
    await this.settle();
  }

  /** Due times of the timers not yet fired, relative to now (ms). */
  pendingTimers(): number[] {
    return this.timers.map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  private nextTimer(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}
