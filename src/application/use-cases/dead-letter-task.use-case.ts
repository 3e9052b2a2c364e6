import { buildCompletedPayload, canReportCompletion, completedEntry, deadLetterEntry } from '../../domain/flunq-events';
import { TaskIdentity } from '../../domain/task-request';
import { failed, TaskResult } from '../../domain/task-result';
import { WorkflowError } from '../../domain/workflow-error';
import { Clock } from '../ports/clock.port';
import { Delivery, OutgoingEntry } from '../ports/task-source.port';

export interface DeadLetterInput {
  delivery: Delivery;
  error: WorkflowError;
  identity: TaskIdentity;
  attempt: number;
  taskType: string;
  startedAtMs?: number;
}

/**
 * The entries for an event that cannot reach a proper outcome: the dead letter (original
 * event untouched, plus reason and attempts) and, when the task can be identified, a failed
 * `task.completed` so that the flunq worker does not wait for ever (protocol section e).
 * The completion is minimal (no output, input omitted): it is built from strings only, so it
 * serialises whatever the task or its request held.
 */
export class DeadLetterTask {
  constructor(private readonly clock: Clock) {}

  execute({ delivery, error, identity, attempt, taskType, startedAtMs }: DeadLetterInput): OutgoingEntry[] {
    const now = this.clock.now();
    const entries: OutgoingEntry[] = [deadLetterEntry(delivery.fields, `${error.code}: ${error.detail}`, attempt)];
    if (canReportCompletion(identity)) {
      const result: TaskResult = { outcome: failed(error), taskType, startedAtMs: startedAtMs ?? now, completedAtMs: now, attempt };
      let completion: OutgoingEntry;
      try {
        completion = completedEntry(identity, buildCompletedPayload(identity, result, {}), now);
      } catch {
        // Only the error's own `data` can hold something unserialisable: report it without.
        const plain = new WorkflowError({ kind: error.kind, code: error.code, title: error.title, detail: error.detail, status: error.status });
        completion = completedEntry(identity, buildCompletedPayload(identity, { ...result, outcome: failed(plain) }, {}), now);
      }
      entries.push(completion);
    }
    return entries;
  }
}
