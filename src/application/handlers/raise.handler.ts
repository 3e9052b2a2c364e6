import { isPlainObject, JsonObject } from '../../domain/json';
import { failed, TaskOutcome } from '../../domain/task-result';
import { errors, isWorkflowError, standardKind, WorkflowError } from '../../domain/workflow-error';
import { TaskContext, TaskHandler } from '../ports/task-handler.port';

/** The error definition: `{raise: {error}}` as the DSL writes it, or `{error}` flattened. */
function errorDefinition(parameters: JsonObject): unknown {
  const raise = parameters['raise'];
  if (isPlainObject(raise)) return raise['error'];
  return parameters['error'];
}

function optionalText(definition: JsonObject, key: string): string | undefined {
  const value = definition[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw errors.configuration(`invalid raise task: error.${key} must be a string, got ${typeof value}`);
  return value;
}

/**
 * The error a `raise` task fails with, from its (resolved) definition. `type` and `status` are
 * required (DSL 1.0); a standard type keeps its kind, any other URI is the workflow's own error of
 * kind `runtime`. `instance` defaults to the task. Throws a `configuration` error for a definition
 * that is not one.
 */
export function raisedError(definition: unknown, taskId: string): WorkflowError {
  if (typeof definition === 'string') {
    throw errors.configuration(`invalid raise task: error "${definition}" names an error of the workflow's use.errors, which task requests do not carry; define the error inline`);
  }
  if (!isPlainObject(definition)) throw errors.configuration('invalid raise task: raise.error must be an object with type and status');
  const type = definition['type'];
  if (typeof type !== 'string' || type.trim() === '') throw errors.configuration('invalid raise task: error.type must be a non-empty string (a URI)');
  const status = definition['status'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw errors.configuration(`invalid raise task: error.status must be an integer from 100 to 599, got ${JSON.stringify(status) ?? 'nothing'}`);
  }
  const kind = standardKind(type);
  return new WorkflowError({
    kind: kind ?? 'runtime',
    code: 'RAISED',
    type: kind === undefined ? type : undefined,
    status,
    title: optionalText(definition, 'title'),
    detail: optionalText(definition, 'detail') ?? optionalText(definition, 'details'),
    instance: optionalText(definition, 'instance') ?? `/tasks/${taskId}`,
    retryable: false,
  });
}

/** `raise` (DSL 1.0): fails the task with the error it defines, expressions resolved. */
export class RaiseTaskHandler implements TaskHandler {
  readonly taskType = 'raise';

  async execute(context: TaskContext): Promise<TaskOutcome> {
    const definition = await context.resolve(errorDefinition(context.request.config.parameters));
    try {
      return failed(raisedError(definition, context.request.taskId));
    } catch (error) {
      if (isWorkflowError(error)) return failed(error);
      throw error;
    }
  }
}
