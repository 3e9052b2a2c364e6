import { connect, JetStreamClient, NatsConnection } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_HISTORY_TIME_LIMIT_MS, TaskHistory, TaskHistoryEntry, TaskHistoryFound, TaskHistoryQuery, TaskHistoryUnavailable } from '../../application/ports/task-history.port';
import { historyEntryOf, ScanBudget } from '../flunq-wire/task-history';
import { bodyText, fieldsFromMessage, headerPairs } from './cloudevent-headers';
import { connectionOptions, connectionProblem, NatsConnectionSettings, serversOf } from './connection';
import { encodeToken, workflowSubjects } from './subjects';

export interface NatsTaskHistoryOptions {
  connection: NatsConnectionSettings;
  /** The JetStream stream of the workflow events (NATS_STREAM). */
  stream: string;
  subjectPrefix: string;
}

/** Longest wait for the server to accept the connection, ms. */
const CONNECT_TIMEOUT_MS = 5000;
/** Messages per pull (fewer when the budget has less left). */
const SCAN_BATCH = 1000;

/**
 * A task's history on the JetStream stream of the workflow events, read with an ordered consumer
 * (the server cannot filter on headers): with the workflow id only that workflow's subjects (any
 * tenant), else every workflow subject, within the search's bounds. `location` is the workflow
 * subject and `messageId` the stream sequence, as for dead letters.
 */
export class NatsTaskHistory implements TaskHistory {
  private connecting: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;

  constructor(
    private readonly options: NatsTaskHistoryOptions,
    private readonly clock: Clock,
  ) {}

  async find(taskId: string, query: TaskHistoryQuery = {}): Promise<TaskHistoryFound> {
    const { js } = await this.connected();
    const { subjectPrefix: prefix } = this.options;
    const budget = new ScanBudget(query.limit ?? DEFAULT_HISTORY_LIMIT, query.timeLimitMs ?? DEFAULT_HISTORY_TIME_LIMIT_MS, this.clock);
    const filters =
      query.locations && query.locations.length > 0
        ? [...query.locations]
        : [query.workflowId === undefined ? workflowSubjects(prefix) : `${prefix}.tenant.*.workflow.${encodeToken(query.workflowId)}.events`];
    const found: TaskHistoryEntry[] = [];
    search: for (const filter of filters) {
      const consumer = await js.consumers.get(this.options.stream, { filterSubjects: filter });
      // One message first: its pending count says how many follow, so that each later pull asks
      // for exactly what is there and ends at once instead of waiting for its expiry.
      let pending = 1;
      while (pending > 0) {
        const n = budget.allowance(Math.min(SCAN_BATCH, pending));
        if (n === 0) break search;
        const batch = await consumer.fetch({ max_messages: n, expires: 1000 });
        let read = 0;
        pending = 0;
        for await (const m of batch) {
          read++;
          pending = m.info.pending;
          const entry = historyEntryOf(taskId, m.subject, String(m.seq), Math.floor(m.info.timestampNanos / 1e6), fieldsFromMessage(headerPairs(m.headers), bodyText(m.data)));
          if (entry) found.push(entry);
        }
        budget.spend(read);
      }
    }
    return budget.result(found);
  }

  async close(): Promise<void> {
    const connected = await this.connecting?.catch(() => undefined);
    if (connected && !connected.nc.isClosed()) await connected.nc.close();
  }

  private connected(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    return (this.connecting ??= (async () => {
      const { connection } = this.options;
      try {
        const nc = await connect({ ...connectionOptions(connection, 'flunq-executor-tasks'), reconnect: false, timeout: CONNECT_TIMEOUT_MS });
        return { nc, js: nc.jetstream() };
      } catch (error) {
        throw new TaskHistoryUnavailable(`cannot connect to NATS at ${serversOf(connection.url)} (NATS_URL): ${connectionProblem(error)}`, { cause: error });
      }
    })());
  }
}
