/**
 * Stalls of this process's event loop: times when synchronous work held it, so that nothing else
 * (reads, timers, health probes) could run. A stall is seen only once it is over.
 */
export interface EventLoopMonitor {
  /**
   * The longest stall that ended within the last `windowMs` milliseconds, in milliseconds
   * (0 when there was none). Cheap, synchronous and without side effects; never throws.
   */
  longestStallWithin(windowMs: number): number;
}
