import { eventFromFields as fromFields } from '../../../src/adapters/flunq-wire/stream-fields';
import { FakeClock } from '../../support/fake-clock';
import { InMemoryLogger } from '../../support/in-memory-logger';
import { PooledJqExpressionEvaluator } from '../../../src/adapters/jq/pooled-jq-expression-evaluator';
import { resolveTemplate } from '../../../src/application/resolve-template';
import { TaskContext } from '../../../src/application/ports/task-handler.port';
import { expressionScope } from '../../../src/application/use-cases/execute-task.use-case';
import { JsonObject } from '../../../src/domain/json';
import { parseTaskRequest, TaskRequest } from '../../../src/domain/task-request';
import { failed, succeeded, TaskOutcome } from '../../../src/domain/task-result';
import { errors, httpStatusError, WorkflowError } from '../../../src/domain/workflow-error';

/** A task request as the worker builds it, with `data` overrides. */
export function request(data: Record<string, unknown> = {}): TaskRequest {
  const parsed = parseTaskRequest(fromFields({
    type: 'io.flunq.task.requested',
    workflowid: 'wf_1',
    executionid: 'ex_1',
    tenantid: 'acme',
    data: JSON.stringify({
      task_id: 'task-guarded-1',
      task_name: 'guarded',
      task_type: 'try',
      ...data,
      input: { task_name: 'guarded', workflow_id: 'wf_1', timestamp: '2025-08-25T19:35:40Z', ...((data['input'] as object | undefined) ?? {}) },
    }),
  }));
  if (!parsed.ok) throw parsed.error;
  return parsed.request;
}

/** A request whose `input.try_catch_config` is `{try, catch}`. */
export function tryRequest(tryBlock: unknown, catchBlock: unknown, input: Record<string, unknown> = {}, data: Record<string, unknown> = {}): TaskRequest {
  return request({ ...data, input: { try_catch_config: { try: tryBlock, catch: catchBlock }, ...input } });
}

export interface InnerCall {
  taskType: string;
  parameters: JsonObject;
  input: JsonObject | undefined;
  at: number;
  /** Whether the try asked the inner task not to retry on its own. */
  workflowRetries: boolean;
}

/** Outcomes the fake inner handler returns in turn (the last one repeats). */
export type Script = (TaskOutcome | WorkflowError | number)[];

export function outcomeOf(step: TaskOutcome | WorkflowError | number): TaskOutcome {
  if (typeof step === 'number') return step >= 200 && step < 300 ? succeeded({ status_code: step }) : failed(httpStatusError(step), { status_code: step });
  if (step instanceof WorkflowError) return failed(step);
  return step;
}

/** The task types of the executor's handler registry, as the fake context reports them. */
export const TASK_TYPES: readonly string[] = ['call', 'inject', 'set', 'try', 'wait'];

/** One pool for every fake context of the test process (idle workers do not keep it alive). */
const jq = new PooledJqExpressionEvaluator();

export interface FakeContext {
  context: TaskContext;
  calls: InnerCall[];
  clock: FakeClock;
  logger: InMemoryLogger;
  controller: AbortController;
}

/** A hand-written TaskContext: real jq, a fake clock, and inner tasks answered from a script. */
export function fakeContext(req: TaskRequest, script: Script | ((call: InnerCall, clock: FakeClock) => TaskOutcome | Promise<TaskOutcome>) = [200], deadlineMs = 300_000): Promise<FakeContext> {
  const clock = new FakeClock();
  const logger = new InMemoryLogger();
  const controller = new AbortController();
  const calls: InnerCall[] = [];
  const scope = expressionScope(req);
  const variables = { input: req.input, context: req.context.raw, workflow: { id: req.workflowId }, task: { name: req.taskName, id: req.taskId } };
  const context: TaskContext = {
    request: req,
    signal: controller.signal,
    deadline: clock.now() + deadlineMs,
    logger,
    scope,
    workflowRetries: false,
    operationKey: req.taskId,
    taskTypes: TASK_TYPES,
    resolve: (value, extra) => resolveTemplate(jq, value, { layers: extra ? [scope, extra] : [scope], variables }, { timeoutMs: 5_000 }),
    runInner: (taskType, parameters, input, options) => {
      const call: InnerCall = { taskType, parameters, input, at: clock.now(), workflowRetries: options?.workflowRetries ?? false };
      calls.push(call);
      if (typeof script === 'function') return Promise.resolve(script(call, clock));
      const step = script[Math.min(calls.length - 1, script.length - 1)];
      if (step === undefined) return Promise.resolve(failed(errors.runtime('empty script')));
      return Promise.resolve(outcomeOf(step));
    },
  };
  return Promise.resolve({ context, calls, clock, logger, controller });
}
