import { Clock } from '../../application/ports/clock.port';
import { SubmissionResult, TaskSubmission } from '../../application/ports/task-submission.port';
import { FlunqEvent } from '../../domain/flunq-event';
import { outcomeKind, workflowOf } from '../flunq-wire/hand-submitted';
import { eventFromFields, fieldsFromEvent } from '../flunq-wire/stream-fields';
import { workflowStream } from '../flunq-wire/stream-keys';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/** Submits to the in-process broker and watches the workflow's stream for the outcome. */
export class InMemoryTaskSubmission implements TaskSubmission {
  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
  ) {}

  async submit(request: FlunqEvent, taskId: string, timeoutMs: number): Promise<SubmissionResult> {
    const stream = workflowStream(request.tenantId, workflowOf(request));
    if (this.broker.isSettled(taskId)) {
      const earlier = this.findOutcome(stream, taskId, 0);
      if (earlier) return { status: 'duplicate', location: stream, taskId, outcome: earlier.event };
    }
    const from = this.broker.entries(stream).length;
    this.broker.append(stream, fieldsFromEvent(request));
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
        if (found) return { status: found.kind, location: stream, taskId, outcome: found.event };
        if (timedOut) return { status: 'timeout', location: stream, taskId };
        await this.broker.waitForEntries(timeout.signal);
      }
    } finally {
      timeout.abort();
      await timer;
    }
  }

  private findOutcome(stream: string, taskId: string, from: number): { kind: 'completed' | 'dead_lettered'; event: FlunqEvent } | undefined {
    const entries = this.broker.entries(stream);
    let deadLetter: FlunqEvent | undefined;
    for (let i = from; i < entries.length; i++) {
      const event = eventFromFields(entries[i]!.fields);
      const kind = outcomeKind(event, taskId);
      if (kind === 'completed') return { kind, event };
      if (kind === 'dead_lettered') deadLetter = event;
    }
    // A dead letter is written together with the failed completion (when there is one), so the
    // completion, if any, is already there: prefer it, otherwise report the dead letter.
    return deadLetter ? { kind: 'dead_lettered', event: deadLetter } : undefined;
  }
}
