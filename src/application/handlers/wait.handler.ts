import { formatGoDuration, parseDuration } from '../../domain/duration';
import { rfc3339Seconds } from '../../domain/time-format';
import { failed, succeeded, TaskOutcome } from '../../domain/task-result';
import { errors, isWorkflowError, WorkflowError } from '../../domain/workflow-error';
import { Clock } from '../ports/clock.port';
import { TaskContext, TaskHandler } from '../ports/task-handler.port';

const DEFAULT_WAIT_MS = 1000;

/**
 * The duration: `parameters.duration` (Go, ISO 8601 or SDL object), `parameters.seconds`
 * (fractions kept), then `input.duration` (where the worker puts it). No value at all means
 * Go's default of 1 s; a value that does not parse is a validation error.
 */
export function waitDurationMs(parameters: Record<string, unknown>, input: Record<string, unknown>): number {
  if (parameters['duration'] !== undefined) return parseDuration(parameters['duration']);
  const seconds = parameters['seconds'];
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw errors.validation(`invalid duration: seconds must be a non-negative number, got ${JSON.stringify(seconds)}`, 'INVALID_DURATION');
    }
    return seconds * 1000;
  }
  if (input['duration'] !== undefined) return parseDuration(input['duration']);
  return DEFAULT_WAIT_MS;
}

/** `wait`: sleeps on the Clock port, so it is instant under the fake clock and cancellable. */
export class WaitTaskHandler implements TaskHandler {
  readonly taskType = 'wait';

  constructor(private readonly clock: Clock) {}

  async execute(context: TaskContext): Promise<TaskOutcome> {
    const parameters = (await context.resolve(context.request.config.parameters)) as Record<string, unknown>;
    let ms: number;
    try {
      ms = waitDurationMs(parameters, context.request.input);
    } catch (error) {
      if (isWorkflowError(error)) return failed(error);
      throw error;
    }
    const started = this.clock.now();
    try {
      await this.clock.sleep(ms, context.signal);
    } catch (reason) {
      const cause: WorkflowError = isWorkflowError(reason)
        ? reason
        : new WorkflowError({ kind: 'timeout', code: 'CANCELLED', title: 'Wait Task Cancelled', detail: 'wait task was cancelled', status: 408 });
      return failed(cause, { waited_duration: formatGoDuration(this.clock.now() - started), requested_duration: formatGoDuration(ms) });
    }
    const now = this.clock.now();
    return succeeded({
      waited_duration: formatGoDuration(ms),
      actual_duration: formatGoDuration(now - started),
      completed_at: rfc3339Seconds(now),
    });
  }
}
