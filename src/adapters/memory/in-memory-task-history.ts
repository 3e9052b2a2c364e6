import { Clock } from '../../application/ports/clock.port';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_HISTORY_TIME_LIMIT_MS, TaskHistory, TaskHistoryEntry, TaskHistoryFound, TaskHistoryQuery } from '../../application/ports/task-history.port';
import { entryIdTime } from '../flunq-wire/dead-letters';
import { parseWorkflowStream } from '../flunq-wire/stream-keys';
import { historyEntryOf, ScanBudget } from '../flunq-wire/task-history';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/** Entries examined between two looks at the budget. */
const CHUNK = 1000;

/** A task's history on the in-process stream (embedded mode and tests), read as the Redis adapter reads its streams. */
export class InMemoryTaskHistory implements TaskHistory {
  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
  ) {}

  find(taskId: string, query: TaskHistoryQuery = {}): Promise<TaskHistoryFound> {
    const budget = new ScanBudget(query.limit ?? DEFAULT_HISTORY_LIMIT, query.timeLimitMs ?? DEFAULT_HISTORY_TIME_LIMIT_MS, this.clock);
    const found: TaskHistoryEntry[] = [];
    const names = query.locations && query.locations.length > 0 ? [...query.locations] : this.broker.streamNames().sort();
    const workflowId = query.workflowId;
    search: for (const stream of names) {
      if (workflowId !== undefined && parseWorkflowStream(stream)?.workflowId !== (workflowId || 'default')) continue;
      const entries = this.broker.entries(stream);
      for (let start = 0; start < entries.length; ) {
        const n = budget.allowance(CHUNK);
        if (n === 0) break search;
        for (const { id, fields } of entries.slice(start, start + n)) {
          const entry = historyEntryOf(taskId, stream, id, entryIdTime(id), fields);
          if (entry) found.push(entry);
        }
        budget.spend(Math.min(n, entries.length - start));
        start += n;
      }
    }
    return Promise.resolve(budget.result(found));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
