import { Cluster } from 'ioredis';
import { Clock } from '../../application/ports/clock.port';
import { DEFAULT_HISTORY_LIMIT, DEFAULT_HISTORY_TIME_LIMIT_MS, TaskHistory, TaskHistoryEntry, TaskHistoryFound, TaskHistoryQuery, TaskHistoryUnavailable } from '../../application/ports/task-history.port';
import { entryIdTime } from '../flunq-wire/dead-letters';
import { WORKFLOW_STREAM_GLOB } from '../flunq-wire/stream-keys';
import { historyEntryOf, ScanBudget } from '../flunq-wire/task-history';
import { connectOnce } from './one-shot-connection';
import { toFields } from './replies';
import { RedisClient, RedisConnectionSettings } from './redis-connection';

/** Entries per XRANGE (fewer when the budget has less left). */
const RANGE_CHUNK = 1000;
/** Longest wait for Redis to accept the connection and answer a PING. */
const CONNECT_TIMEOUT_MS = 5000;

/** A glob matching `text` literally. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * A task's history on the workflow streams: the task's events live on its workflow's stream, so
 * with the workflow id only that workflow's streams (any tenant) are read; without it every
 * workflow stream is, oldest entry first, in XRANGE chunks, within the search's bounds. On a
 * cluster the streams are found on every primary and read through the cluster client.
 */
export class RedisTaskHistory implements TaskHistory {
  private connection: Promise<RedisClient> | undefined;

  constructor(
    /** A connection, or how to open one on first use. */
    private readonly source: RedisClient | (() => Promise<RedisClient>),
    private readonly clock: Clock,
    /** Glob of the workflow streams (EXECUTOR_STREAM_PATTERN). */
    private readonly pattern = WORKFLOW_STREAM_GLOB,
  ) {}

  /** For operator commands: connects on first use, failing fast with TaskHistoryUnavailable and a one-line reason. */
  static open(settings: RedisConnectionSettings, clock: Clock, pattern = WORKFLOW_STREAM_GLOB): RedisTaskHistory {
    return new RedisTaskHistory(
      () =>
        connectOnce(settings, CONNECT_TIMEOUT_MS).catch((error: unknown) => {
          throw new TaskHistoryUnavailable(error instanceof Error ? error.message : String(error), { cause: error });
        }),
      clock,
      pattern,
    );
  }

  async find(taskId: string, query: TaskHistoryQuery = {}): Promise<TaskHistoryFound> {
    const redis = await this.redis();
    const budget = new ScanBudget(query.limit ?? DEFAULT_HISTORY_LIMIT, query.timeLimitMs ?? DEFAULT_HISTORY_TIME_LIMIT_MS, this.clock);
    const streams =
      query.locations && query.locations.length > 0
        ? [...query.locations]
        : await this.streams(query.workflowId === undefined ? this.pattern : `tenant:*:workflow:${globLiteral(query.workflowId || 'default')}:events`);
    const found: TaskHistoryEntry[] = [];
    search: for (const stream of streams) {
      let start = '-';
      for (;;) {
        const n = budget.allowance(RANGE_CHUNK);
        if (n === 0) break search;
        const rows = await redis.xrange(stream, start, '+', 'COUNT', n);
        budget.spend(rows.length);
        for (const [id, flat] of rows) {
          const entry = historyEntryOf(taskId, stream, id, entryIdTime(id), toFields(flat));
          if (entry) found.push(entry);
        }
        const last = rows[rows.length - 1];
        if (rows.length < n || !last) break;
        start = `(${last[0]}`;
      }
    }
    return budget.result(found);
  }

  async close(): Promise<void> {
    const connecting = typeof this.source === 'function' ? this.connection : Promise.resolve(this.source);
    const redis = await connecting?.catch(() => undefined);
    if (!redis) return;
    if (redis.status === 'end' || redis.status === 'wait') {
      redis.disconnect();
      return;
    }
    await redis.quit();
  }

  private redis(): Promise<RedisClient> {
    const source = this.source;
    if (typeof source !== 'function') return Promise.resolve(source);
    return (this.connection ??= source());
  }

  /** The streams whose names match `glob`, sorted (SCAN walks one node's keys: on a cluster every primary is scanned). */
  private async streams(glob: string): Promise<string[]> {
    const redis = await this.redis();
    const keys = new Set<string>();
    for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', glob, 'COUNT', 500, 'TYPE', 'stream');
        for (const k of batch) keys.add(k);
        cursor = next;
      } while (cursor !== '0');
    }
    return [...keys].sort();
  }
}
