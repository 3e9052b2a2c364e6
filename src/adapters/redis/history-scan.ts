/**
 * The history scan of streams whose consumer group this process created (ADR 0002): every
 * task.completed or task.dlq entry already on the stream (by any executor, markers expired or never
 * written) gets its task's idempotency marker, so the new group acknowledges those requests instead
 * of running them again. A stream is held back from reading (stream set) until its scan is done.
 *
 * Owns: the next XRANGE start of each stream being scanned (a cursor exists only while its stream is
 * held for the scan; it is dropped when the stream is released, abandoned or removed).
 *
 * Who changes what: only this class advances cursors and releases held streams; discovery holds
 * streams for it.
 */
import { outcomeTaskId } from '../flunq-wire/dead-letters';
import { Logger } from '../../application/ports/logger.port';
import { BatchCommand, execBatch } from './batch';
import { SourceConnections } from './connections';
import { Discovery } from './discovery';
import { isConnectionError, messageOf, toFields } from './replies';
import { RedisStreamTaskSourceOptions } from './source-options';
import { historyScanKey } from './stream-keys';
import { TaskKeys } from './task-keys';
import { StreamSet } from './stream-set';

export type HistoryScanOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'settledTtlMs' | 'taskKeys'>;

/** Entries per XRANGE; per scan() at most HISTORY_BUDGET entries (an XRANGE costs ≥ HISTORY_MIN_COST), streams pipelined HISTORY_STREAMS_PER_ROUND at a time. */
const HISTORY_CHUNK = 1000;
const HISTORY_BUDGET = 5000;
const HISTORY_MIN_COST = 100;
const HISTORY_STREAMS_PER_ROUND = 50;

export class HistoryScan {
  /** Next XRANGE start of the streams held for a history scan (absent: from the start). */
  private readonly cursors = new Map<string, string>();
  private readonly taskKeys: TaskKeys;

  constructor(
    private readonly options: HistoryScanOptions,
    private readonly connections: SourceConnections,
    private readonly streams: StreamSet,
    private readonly discovery: Discovery,
    private readonly logger: Logger,
  ) {
    streams.onRemove((stream) => this.cursors.delete(stream));
    this.taskKeys = new TaskKeys(options.taskKeys);
  }

  /** Some stream is waiting for its history scan. */
  get pending(): boolean {
    return this.streams.heldForHistoryCount > 0;
  }

  /**
   * Scans at most HISTORY_BUDGET entries, so that other streams keep flowing; a stream is read
   * only once its scan is done. Throws on connection errors (the scan resumes where it was).
   */
  async scan(): Promise<void> {
    const cmd = this.connections.commands;
    let budget = HISTORY_BUDGET;
    while (budget > 0 && this.streams.heldForHistoryCount > 0) {
      // One round: the next chunk of up to HISTORY_STREAMS_PER_ROUND streams in one pipelined round trip.
      const round = this.streams.firstHeldForHistory(Math.min(HISTORY_STREAMS_PER_ROUND, Math.ceil(budget / HISTORY_MIN_COST)));
      const cluster = this.connections.cluster !== undefined;
      const replies = (await execBatch(cmd, cluster, round.map((stream) => ({ key: stream, send: (t) => t.xrange(stream, this.cursors.get(stream) ?? '-', '+', 'COUNT', HISTORY_CHUNK) })))) ?? [];
      const writes: BatchCommand[] = [];
      const finished: string[] = [];
      for (let i = 0; i < round.length; i++) {
        const stream = round[i] as string;
        const [error, reply] = replies[i] ?? [new Error('no reply'), null];
        if (error) {
          if (isConnectionError(error)) throw error;
          budget -= HISTORY_MIN_COST;
          this.cursors.delete(stream);
          this.streams.abandonHistory(stream);
          this.discovery.forget(stream, messageOf(error));
          continue;
        }
        const rows = reply as [string, string[]][];
        budget -= Math.max(rows.length, HISTORY_MIN_COST);
        for (const [, flat] of rows) {
          const taskId = outcomeTaskId(toFields(flat));
          if (!taskId) continue;
          const ttl = this.options.settledTtlMs;
          // Keyed by the stream: a stream's markers go before its flag is removed, also on a cluster.
          for (const key of this.taskKeys.markerKeys(stream, taskId)) writes.push({ key: stream, send: (t) => (ttl > 0 ? t.set(key, '1', 'PX', ttl) : t.set(key, '1')) });
        }
        const last = rows[rows.length - 1];
        if (rows.length < HISTORY_CHUNK || !last) {
          finished.push(stream);
          const flag = historyScanKey(stream, this.options.group);
          writes.push({ key: stream, send: (t) => t.del(flag) });
        } else this.cursors.set(stream, `(${last[0]}`);
      }
      // Markers first, then the flag is removed (MULTI-less pipeline: order is kept on one connection).
      for (const [error] of (await execBatch(cmd, cluster, writes)) ?? []) if (error) throw error;
      for (const stream of finished) {
        this.cursors.delete(stream);
        this.streams.releaseFromHistory(stream);
        this.logger.debug('history scanned; reading stream', { stream });
      }
    }
  }
}
