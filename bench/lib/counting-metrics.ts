import { InMemoryMetrics } from '../../test/support/in-memory-metrics';
import { TaskOutcomeLabel } from '../../src/application/ports/metrics.port';

/** Metrics that also count finished tasks, so a benchmark knows when a workload is done. */
export class CountingMetrics extends InMemoryMetrics {
  finished = 0;
  byOutcome: Record<string, number> = {};
  onFinished: () => void = () => undefined;

  override taskFinished(taskType: string, outcome: TaskOutcomeLabel, _durationMs: number): void {
    // Deliberately not calling super: its per-task duration list would grow without bound.
    this.finished++;
    this.byOutcome[outcome] = (this.byOutcome[outcome] ?? 0) + 1;
    this.onFinished();
  }
}
