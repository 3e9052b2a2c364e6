import { TaskOutcome, succeeded } from '../../domain/task-result';
import { TaskContext, TaskHandler } from '../ports/task-handler.port';
import { taskDataOutput } from './task-data-output';

/** `set`: copies the (expression-resolved) parameters and task input into the output. */
export class SetTaskHandler implements TaskHandler {
  readonly taskType = 'set';

  async execute(context: TaskContext): Promise<TaskOutcome> {
    return succeeded(await taskDataOutput(context));
  }
}
