import { StreamFields } from '../../domain/task-request';

export type SubmissionResult =
  /** The task reached an outcome: the fields of its `task.completed` (or dead-letter) entry. */
  | { status: 'completed' | 'dead_lettered' | 'duplicate'; stream: string; taskId: string; entry: Record<string, string> }
  /** No outcome within the wait time; the task may still complete later. */
  | { status: 'timeout'; stream: string; taskId: string };

/**
 * Local task submission (embedded mode, the CLI runner, the demo): appends a task request to
 * the stream the executor reads, and waits for its outcome. Not available against Redis.
 */
export interface TaskSubmission {
  /**
   * Appends `entry` (the fields of an `io.flunq.task.requested` entry) to `stream` and waits up
   * to `timeoutMs` for the completion of `taskId`. A task id that already has an outcome is not
   * run again: its earlier completion is returned as `duplicate`.
   */
  submit(stream: string, entry: StreamFields, taskId: string, timeoutMs: number): Promise<SubmissionResult>;
}
