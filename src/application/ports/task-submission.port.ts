import { FlunqEvent } from '../../domain/flunq-event';

export type SubmissionResult =
  /** The task reached an outcome: its `task.completed` event (or its dead letter). */
  | { status: 'completed' | 'dead_lettered' | 'duplicate'; location: string; taskId: string; outcome: FlunqEvent }
  /** No outcome within the wait time; the task may still complete later. */
  | { status: 'timeout'; location: string; taskId: string };

/**
 * Local task submission (embedded mode, the CLI runner, the demo): publishes a task request where
 * the executor reads, and waits for its outcome. Not available against a shared backend.
 */
export interface TaskSubmission {
  /**
   * Publishes `request` (an `io.flunq.task.requested` event) next to its workflow's events and
   * waits up to `timeoutMs` for the outcome of `taskId`. A task id that already has an outcome is
   * not run again: its earlier completion is returned as `duplicate`. `location` says where the
   * request was published (opaque: a stream name).
   */
  submit(request: FlunqEvent, taskId: string, timeoutMs: number): Promise<SubmissionResult>;
}
