import { FlunqEvent, withTraceContext } from '../../domain/flunq-event';
import { localSubmission, submissionOfEvent } from '../../domain/local-submission';
import { Clock } from '../ports/clock.port';
import { TaskSubmission } from '../ports/task-submission.port';
import { TraceContext } from '../ports/tracer.port';

export type SubmitTaskInput =
  /**
   * Untrusted: the `data` object of a task request (missing ids get local defaults), and the
   * caller's trace context, which the request then carries as a workflow's request would.
   */
  | { request: unknown; trace?: TraceContext }
  /** A whole `task.requested` event, decoded from its wire form by the caller. */
  | { event: FlunqEvent };

export type SubmitTaskResult =
  /** The request was refused before anything was published: `problem` says why, for the caller. */
  | { status: 'invalid'; problem: string }
  /** The task reached an outcome (or already had one: `duplicate`). */
  | { status: 'completed' | 'dead_lettered' | 'duplicate'; taskId: string; location: string; outcome: FlunqEvent }
  /** No outcome within `waitedMs`; the task may still complete later. */
  | { status: 'timeout'; taskId: string; location: string; waitedMs: number };

export interface SubmitTaskSettings {
  /** Longest wait for the outcome, in ms. */
  timeoutMs: number;
  /**
   * First number mixed into generated task ids, which count up from it, so that two requests
   * submitted in the same millisecond get distinct ids.
   */
  firstSequence: number;
  /** The task types this executor runs, named when a request has none. */
  taskTypes: readonly string[];
}

/**
 * Runs one task request given by hand (`POST /tasks`, `flunq-executor run`): completes it into a
 * flunq `task.requested` event, publishes it where the executor reads and waits for its outcome.
 */
export class SubmitTask {
  private sequence: number;

  constructor(
    private readonly submission: TaskSubmission,
    private readonly clock: Clock,
    private readonly settings: SubmitTaskSettings,
  ) {
    this.sequence = settings.firstSequence;
  }

  async execute(input: SubmitTaskInput): Promise<SubmitTaskResult> {
    const built = 'event' in input ? submissionOfEvent(input.event) : localSubmission(input.request, this.clock.now(), this.sequence++, this.settings.taskTypes);
    if (!built.ok) return { status: 'invalid', problem: built.problem };
    const { taskId } = built.submission;
    const request = 'request' in input ? withTraceContext(built.submission.request, input.trace) : built.submission.request;
    const result = await this.submission.submit(request, taskId, this.settings.timeoutMs);
    if (result.status === 'timeout') return { status: 'timeout', taskId, location: result.location, waitedMs: this.settings.timeoutMs };
    return { status: result.status, taskId, location: result.location, outcome: result.outcome };
  }
}
