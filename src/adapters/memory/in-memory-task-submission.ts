import { Clock } from '../../application/ports/clock.port';
import { SubmissionResult, TaskSubmission } from '../../application/ports/task-submission.port';
import { outcomeKind } from '../../domain/local-submission';
import { StreamFields } from '../../domain/task-request';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/** Submits to the in-process broker and watches the same stream for the outcome. */
export class InMemoryTaskSubmission implements TaskSubmission {
  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
  ) {}

  async submit(stream: string, entry: StreamFields, taskId: string, timeoutMs: number): Promise<SubmissionResult> {
    if (this.broker.isSettled(taskId)) {
      const earlier = this.findOutcome(stream, taskId, 0);
      if (earlier) return { status: 'duplicate', stream, taskId, entry: { ...earlier.entry } };
    }
    const from = this.broker.entries(stream).length;
    this.broker.append(stream, { ...entry });
    const timeout = new AbortController();
    let timedOut = false;
    const timer = this.clock.sleep(timeoutMs, timeout.signal).then(
      () => {
        timedOut = true;
        timeout.abort();
      },
      () => undefined,
    );
    try {
      for (;;) {
        const found = this.findOutcome(stream, taskId, from + 1);
        if (found) return { status: found.kind, stream, taskId, entry: { ...found.entry } };
        if (timedOut) return { status: 'timeout', stream, taskId };
        await this.broker.waitForEntries(timeout.signal);
      }
    } finally {
      timeout.abort();
      await timer;
    }
  }

  private findOutcome(stream: string, taskId: string, from: number): { kind: 'completed' | 'dead_lettered'; entry: Record<string, string> } | undefined {
    const entries = this.broker.entries(stream);
    let deadLetter: Record<string, string> | undefined;
    for (let i = from; i < entries.length; i++) {
      const fields = entries[i]!.fields;
      const kind = outcomeKind(fields, taskId);
      if (kind === 'completed') return { kind, entry: fields };
      if (kind === 'dead_lettered') deadLetter = fields;
    }
    // A dead letter is written together with the failed completion (when there is one), so the
    // completion, if any, is already there: prefer it, otherwise report the dead letter.
    return deadLetter ? { kind: 'dead_lettered', entry: deadLetter } : undefined;
  }
}
