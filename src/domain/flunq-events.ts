import { JsonObject } from './json';
import { redactDeep, redactText } from './redaction';
import { EXECUTOR_SOURCE, StreamFields, TASK_COMPLETED, TASK_DLQ, TaskIdentity, TaskRequest } from './task-request';
import { durationMs, TaskResult } from './task-result';
import { rfc3339Seconds } from './time-format';

/** The nested payload of `io.flunq.task.completed` (protocol section d). */
export interface CompletedPayload {
  task_id: string;
  task_name: string;
  tenant_id: string;
  success: boolean;
  output: unknown;
  error: string;
  duration_ms: number;
  executed_at: string;
  attempt: number;
  data: {
    input: JsonObject;
    output: unknown;
    metadata: {
      started_at: string;
      completed_at: string;
      duration_ms: number;
      task_type: string;
      activity_name: string;
    };
  };
  error_details?: JsonObject;
}

export interface RedactionOptions {
  /** Extra header or parameter names to hide (e.g. the configured API-key name). */
  sensitiveNames?: readonly string[];
  /** Secret values that must not appear verbatim anywhere in the payload. */
  secretValues?: readonly string[];
}

export function buildCompletedPayload(identity: TaskIdentity, result: TaskResult, input: JsonObject, redaction: RedactionOptions = {}): CompletedPayload {
  const { outcome } = result;
  const names = redaction.sensitiveNames ?? [];
  const secrets = redaction.secretValues ?? [];
  const output = redactDeep(outcome.output ?? {}, names, secrets);
  const ms = durationMs(result);
  const payload: CompletedPayload = {
    task_id: identity.taskId,
    task_name: identity.taskName,
    tenant_id: identity.tenantId,
    success: outcome.success,
    output,
    error: outcome.success ? '' : redactText(outcome.error.detail || outcome.error.message || 'task failed', secrets),
    duration_ms: ms,
    executed_at: rfc3339Seconds(result.completedAtMs),
    attempt: result.attempt,
    data: {
      input: redactDeep(outcome.resolvedInput ?? input, names, secrets) as JsonObject,
      output,
      metadata: {
        started_at: rfc3339Seconds(result.startedAtMs),
        completed_at: rfc3339Seconds(result.completedAtMs),
        duration_ms: ms,
        task_type: result.taskType,
        activity_name: 'executor_activity',
      },
    },
  };
  if (!outcome.success) payload.error_details = redactDeep(outcome.error.toProblem(), names, secrets) as JsonObject;
  return payload;
}

/** Stream fields of a completion entry; optional ids are omitted when empty (section b). */
export function completedEntry(identity: TaskIdentity, payload: CompletedPayload, nowMs: number): Record<string, string> {
  const fields: Record<string, string> = {
    id: `task-completed-${identity.taskId}`,
    source: EXECUTOR_SOURCE,
    specversion: '1.0',
    type: TASK_COMPLETED,
    time: rfc3339Seconds(nowMs),
  };
  if (identity.workflowId) fields['workflowid'] = identity.workflowId;
  if (identity.executionId) fields['executionid'] = identity.executionId;
  if (identity.taskId) fields['taskid'] = identity.taskId;
  if (identity.tenantId) fields['tenantid'] = identity.tenantId;
  fields['data'] = JSON.stringify(payload);
  return fields;
}

/**
 * A dead-letter entry: a copy of the request entry with type `io.flunq.task.dlq`, the original
 * `data` kept byte for byte (absent when it was absent), a `reason` and the attempt count.
 */
export function deadLetterEntry(original: StreamFields, reason: string, attempt: number, secretValues: readonly string[] = []): Record<string, string> {
  const fields: Record<string, string> = { ...original, type: TASK_DLQ };
  fields['reason'] = `task_execution_failed:${redactText(reason, secretValues)}`;
  fields['attempt'] = String(attempt);
  return fields;
}

/** Identity of a parsed request, for building its completion. */
export function identityOfRequest(request: TaskRequest): TaskIdentity {
  return {
    taskId: request.taskId,
    taskName: request.taskName,
    tenantId: request.tenantId,
    workflowId: request.workflowId,
    executionId: request.executionId,
  };
}

/** The worker ignores completions without an execution id, so only then is a failed completion useful. */
export function canReportCompletion(identity: TaskIdentity): boolean {
  return identity.taskId !== '' && identity.workflowId !== '' && identity.executionId !== '';
}
