import { TaskHandler } from '../ports/task-handler.port';

/**
 * Handlers indexed by task type, built once at start-up from the registered handlers. It is the
 * only list of task types: what the executor runs, what `try` accepts as inner tasks, which task
 * types get their own metric label, and what error messages name as supported.
 */
export class TaskHandlerRegistry {
  private readonly byType = new Map<string, TaskHandler>();
  private readonly sortedTypes: readonly string[];

  constructor(handlers: readonly TaskHandler[]) {
    for (const handler of handlers) {
      if (this.byType.has(handler.taskType)) throw new Error(`two handlers registered for task type '${handler.taskType}'`);
      this.byType.set(handler.taskType, handler);
    }
    this.sortedTypes = Object.freeze([...this.byType.keys()].sort());
  }

  find(taskType: string): TaskHandler | undefined {
    return this.byType.get(taskType);
  }

  /** The registered task types, sorted (the same array on every call). */
  types(): readonly string[] {
    return this.sortedTypes;
  }
}
