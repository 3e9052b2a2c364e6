import { TaskHistory, TaskHistoryEntry, TaskHistoryFound, TaskHistoryQuery } from '../ports/task-history.port';

export type ShowTaskInput = TaskHistoryQuery & { taskId: string };

/**
 * Where the task stands after its history: the last thing that happened to it. `waiting`: its last
 * request has no outcome yet (never run, running, or replayed and not run yet); `not_found`: nothing
 * of it was found (within the search's bounds, when it was cut short).
 */
export type TaskStatus = 'succeeded' | 'failed' | 'dead_lettered' | 'waiting' | 'not_found';

export interface TaskShown extends TaskHistoryFound {
  taskId: string;
  status: TaskStatus;
}

export function statusOf(entries: readonly TaskHistoryEntry[]): TaskStatus {
  const last = entries[entries.length - 1];
  if (!last) return 'not_found';
  if (last.kind === 'requested') return 'waiting';
  if (last.kind === 'dead_lettered') return 'dead_lettered';
  // A dead letter is followed by its failed completion: the dead letter is what the operator must see.
  const previous = entries[entries.length - 2];
  if (last.success === false && previous?.kind === 'dead_lettered') return 'dead_lettered';
  return last.success === false ? 'failed' : 'succeeded';
}

/**
 * One task's history as the backend holds it (its requests, replays, outcomes and dead letters,
 * oldest first) and where it stands. Read-only.
 */
export class ShowTask {
  constructor(private readonly history: TaskHistory) {}

  async execute(input: ShowTaskInput): Promise<TaskShown> {
    const { taskId, ...query } = input;
    if (!taskId) throw new Error('a task id is needed');
    const found = await this.history.find(taskId, query);
    return { taskId, status: statusOf(found.entries), ...found };
  }
}
