import { performance } from 'node:perf_hooks';
import { EventLoopMonitor } from '../../application/ports/event-loop-monitor.port';

export interface IntervalStallMonitorOptions {
  /** How often the timer measures its own lateness, ms (also the precision of a measured stall). */
  intervalMs: number;
  /** Lateness below this is scheduling noise, not a stall, ms. */
  minStallMs: number;
  /** How long recorded stalls are kept, ms (the longest window asked for). */
  keepMs: number;
  /** Monotonic time in ms (tests pass their own). */
  now: () => number;
}

const DEFAULTS: IntervalStallMonitorOptions = { intervalMs: 100, minStallMs: 100, keepMs: 10 * 60_000, now: () => performance.now() };
/** Stalls kept at most: far more than a window can hold at the minimum stall length. */
const MAX_STALLS = 10_000;

/**
 * Measures event-loop stalls by the lateness of an unref'd interval timer: a timer due every
 * `intervalMs` that fires `intervalMs + d` after the previous one could not run for `d` ms. Costs one
 * timer callback per interval; never keeps the process alive.
 */
export class IntervalStallMonitor implements EventLoopMonitor {
  private readonly options: IntervalStallMonitorOptions;
  private readonly stalls: { endedAt: number; ms: number }[] = [];
  private last: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: Partial<IntervalStallMonitorOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.last = this.options.now();
  }

  /** A monitor measuring from now on. */
  static start(options: Partial<IntervalStallMonitorOptions> = {}): IntervalStallMonitor {
    const monitor = new IntervalStallMonitor(options);
    monitor.timer = setInterval(() => monitor.tick(), monitor.options.intervalMs);
    monitor.timer.unref();
    return monitor;
  }

  /** One measurement (the timer calls it every `intervalMs`). */
  tick(): void {
    const now = this.options.now();
    const late = now - this.last - this.options.intervalMs;
    this.last = now;
    if (late >= this.options.minStallMs) {
      this.stalls.push({ endedAt: now, ms: late });
      if (this.stalls.length > MAX_STALLS) this.stalls.shift();
    }
    while (this.stalls.length > 0 && (this.stalls[0]?.endedAt ?? now) < now - this.options.keepMs) this.stalls.shift();
  }

  longestStallWithin(windowMs: number): number {
    const since = this.options.now() - windowMs;
    let longest = 0;
    for (const stall of this.stalls) if (stall.endedAt >= since && stall.ms > longest) longest = stall.ms;
    return longest;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
