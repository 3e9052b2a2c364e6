import { SubmissionResult, TaskSubmission } from '../../src/application/ports/task-submission.port';
import { FlunqEvent } from '../../src/domain/flunq-event';

export interface Submitted {
  request: FlunqEvent;
  taskId: string;
  timeoutMs: number;
}

/** Records what is submitted and answers with `answer` (by default: a successful completion of the task). */
export class RecordingTaskSubmission implements TaskSubmission {
  readonly submitted: Submitted[] = [];

  constructor(private readonly answer: (submitted: Submitted) => SubmissionResult = completedWith({ success: true })) {}

  submit(request: FlunqEvent, taskId: string, timeoutMs: number): Promise<SubmissionResult> {
    const submitted = { request, taskId, timeoutMs };
    this.submitted.push(submitted);
    return Promise.resolve(this.answer(submitted));
  }
}

/** An answer: the task completed (or had completed earlier: `duplicate`) with `payload` as its completion's data. */
export function completedWith(payload: unknown, status: 'completed' | 'duplicate' = 'completed'): (submitted: Submitted) => SubmissionResult {
  return ({ request, taskId }) => ({
    status,
    location: `tenant:${request.tenantId}:workflow:${request.workflowId}:events`,
    taskId,
    outcome: { ...request, id: `task-completed-${taskId}`, type: 'io.flunq.task.completed', data: JSON.stringify(payload), extensions: {} },
  });
}
