import { JsonObject } from './json';
import { redactDeep, redactText } from './redaction';
import { EXECUTOR_SOURCE, FlunqEvent, TASK_COMPLETED } from './flunq-event';
import { TaskIdentity, TaskRequest } from './task-request';
import { durationMs, OutcomeMetadata, TaskResult } from './task-result';
import { rfc3339Seconds } from './time-format';

/** The nested payload of `io.flunq.task.completed` (docs/protocol.md, section 4). */
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
    /** The standard keys, and the optional ones a task adds (OutcomeMetadata: `document` for OpenAPI calls). */
    metadata: OutcomeMetadata & {
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
        // The task's own keys first: the standard ones always win.
        ...(outcome.metadata === undefined ? {} : (redactDeep(outcome.metadata, names, secrets) as OutcomeMetadata)),
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

/** The `io.flunq.task.completed` event of a task (protocol: one completion per task id). */
export function completedEvent(identity: TaskIdentity, payload: CompletedPayload, nowMs: number): FlunqEvent {
  return {
    id: `task-completed-${identity.taskId}`,
    source: EXECUTOR_SOURCE,
    specversion: '1.0',
    type: TASK_COMPLETED,
    time: rfc3339Seconds(nowMs),
    workflowId: identity.workflowId,
    executionId: identity.executionId,
    taskId: identity.taskId,
    tenantId: identity.tenantId,
    data: JSON.stringify(payload),
    extensions: {},
  };
}

/** The reason a dead letter carries (the Go executor's `task_execution_failed:` prefix), secrets blanked. */
export function deadLetterReason(reason: string, secretValues: readonly string[] = []): string {
  return `task_execution_failed:${redactText(reason, secretValues)}`;
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
