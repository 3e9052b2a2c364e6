import { FlunqEvent } from '../../domain/flunq-event';
import { buildCompletedPayload, canReportCompletion, completedEvent, deadLetterReason } from '../../domain/flunq-events';
import { TaskIdentity } from '../../domain/task-request';
import { failed, TaskResult } from '../../domain/task-result';
import { WorkflowError } from '../../domain/workflow-error';
import { Clock } from '../ports/clock.port';
import { DeadLetterNote } from '../ports/task-inbox.port';

export interface DeadLetterInput {
  error: WorkflowError;
  identity: TaskIdentity;
  attempt: number;
  taskType: string;
  startedAtMs?: number;
}

/**
 * What is published for an event that cannot reach a proper outcome: the dead letter's note (the
 * inbox copies the original message, untouched, and adds the reason and attempts) and, when the
 * task can be identified, a failed `task.completed`, so that the flunq worker does not wait for ever.
 * The completion is minimal (no output, input omitted): it is built from strings only, so it
 * serialises whatever the task or its request held.
 */
export class DeadLetterTask {
  constructor(private readonly clock: Clock) {}

  execute({ error, identity, attempt, taskType, startedAtMs }: DeadLetterInput): { note: DeadLetterNote; completion: FlunqEvent | undefined } {
    const now = this.clock.now();
    const note: DeadLetterNote = { reason: deadLetterReason(`${error.code}: ${error.detail}`), attempt };
    if (!canReportCompletion(identity)) return { note, completion: undefined };
    const result: TaskResult = { outcome: failed(error), taskType, startedAtMs: startedAtMs ?? now, completedAtMs: now, attempt };
    try {
      return { note, completion: completedEvent(identity, buildCompletedPayload(identity, result, {}), now) };
    } catch {
      // Only the error's own `data` can hold something unserialisable: report it without.
      const plain = new WorkflowError({ kind: error.kind, code: error.code, title: error.title, detail: error.detail, status: error.status });
      return { note, completion: completedEvent(identity, buildCompletedPayload(identity, { ...result, outcome: failed(plain) }, {}), now) };
    }
  }
}
