import { TaskHandler } from '../ports/task-handler.port';

/** Handlers indexed by task type, built once at start-up. */
export class TaskHandlerRegistry {
  private readonly byType = new Map<string, TaskHandler>();

  constructor(handlers: readonly TaskHandler[]) {
    for (const handler of handlers) {
      if (this.byType.has(handler.taskType)) throw new Error(`two handlers registered for task type '${handler.taskType}'`);
      this.byType.set(handler.taskType, handler);
    }
  }

  find(taskType: string): TaskHandler | undefined {
    return this.byType.get(taskType);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }
}
