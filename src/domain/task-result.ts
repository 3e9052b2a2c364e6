import { JsonObject } from './json';
import { WorkflowError } from './workflow-error';

/** What a handler returns: an expected failure is a value, not an exception. */
export type TaskOutcome =
  | { success: true; output: unknown; resolvedInput?: JsonObject }
  | { success: false; output: unknown; error: WorkflowError; resolvedInput?: JsonObject };

export function succeeded(output: unknown, resolvedInput?: JsonObject): TaskOutcome {
  return resolvedInput === undefined ? { success: true, output } : { success: true, output, resolvedInput };
}

export function failed(error: WorkflowError, output: unknown = {}, resolvedInput?: JsonObject): TaskOutcome {
  return resolvedInput === undefined ? { success: false, output, error } : { success: false, output, error, resolvedInput };
}

/** A finished task with its timing, ready to become a `task.completed` payload. */
export interface TaskResult {
  outcome: TaskOutcome;
  /** The task type reported in metadata: the requested type (`try` for try tasks). */
  taskType: string;
  startedAtMs: number;
  completedAtMs: number;
  /** How many times the request has been delivered (1 for the first delivery). */
  attempt: number;
}

export function durationMs(result: TaskResult): number {
  return Math.max(0, Math.round(result.completedAtMs - result.startedAtMs));
}
