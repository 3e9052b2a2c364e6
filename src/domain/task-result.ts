import { JsonObject } from './json';
import { WorkflowError } from './workflow-error';

/**
 * What a task tells about how it ran, beside the standard metadata of its completion
 * (`data.metadata`, docs/protocol.md section 4). Every key is optional, so that consumers that do
 * not know it are not affected.
 */
export interface OutcomeMetadata {
  /** OpenAPI calls: the document the call ran against (its URL redacted, its `info.version` and the SHA-256 of its bytes). */
  document?: { url: string; version?: string; sha256?: string };
}

/** What a handler returns: an expected failure is a value, not an exception. */
export type TaskOutcome =
  | { success: true; output: unknown; resolvedInput?: JsonObject; metadata?: OutcomeMetadata }
  | { success: false; output: unknown; error: WorkflowError; resolvedInput?: JsonObject; metadata?: OutcomeMetadata };

/** `outcome` with `metadata` added to what it already reports. */
export function withMetadata(outcome: TaskOutcome, metadata: OutcomeMetadata): TaskOutcome {
  return { ...outcome, metadata: { ...outcome.metadata, ...metadata } };
}

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
