import { rfc3339Seconds } from '../../domain/time-format';
import { TaskOutcome, succeeded } from '../../domain/task-result';
import { Clock } from '../ports/clock.port';
import { TaskContext, TaskHandler } from '../ports/task-handler.port';
import { taskDataOutput } from './task-data-output';

/** `inject`: like `set`, plus when and by whom the data was injected. */
export class InjectTaskHandler implements TaskHandler {
  readonly taskType = 'inject';

  constructor(private readonly clock: Clock) {}

  async execute(context: TaskContext): Promise<TaskOutcome> {
    return succeeded({
      ...(await taskDataOutput(context)),
      _injected_at: rfc3339Seconds(this.clock.now()),
      _injected_by: 'executor-service',
      _task_id: context.request.taskId,
    });
  }
}
