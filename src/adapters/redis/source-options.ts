/**
 * Settings of the Redis stream task source, shared by its parts (plain data, no state).
 */
import { BacklogSnapshot } from '../../application/ports/backlog.port';
import { WORKFLOW_STREAM_GLOB } from '../flunq-wire/stream-keys';
import { RedisConnectionSettings } from './redis-connection';
import { TaskKeyLayout } from './task-keys';

export interface RedisStreamTaskSourceOptions extends RedisConnectionSettings {
  group: string;
  consumer: string;
  /** Fixed streams (EXECUTOR_STREAMS); when empty, streams matching `pattern` are discovered. */
  streams: readonly string[];
  /** Redis glob of the streams to discover (default `tenant:*:workflow:*:events`). */
  pattern: string;
  /** XREADGROUP COUNT per stream (EXECUTOR_STREAM_BATCH). */
  batch: number;
  /** XREADGROUP BLOCK, ms (EXECUTOR_STREAM_BLOCK). */
  blockMs: number;
  /** Streams named in one XREADGROUP (EXECUTOR_STREAMS_PER_READ). */
  streamsPerRead: number;
  reclaimEnabled: boolean;
  reclaimIdleMs: number;
  /** Period of the reclaim and lag/pending audit pass, ms. */
  reclaimIntervalMs: number;
  /** Learn new streams and new entries from keyspace notifications (EXECUTOR_KEYSPACE_NOTIFICATIONS). */
  keyspaceNotifications: boolean;
  /** Period of the background incremental SCAN when notifications work, ms (EXECUTOR_RESCAN_INTERVAL). */
  rescanIntervalMs: number;
  /** TTL of the idempotency markers, ms; 0 keeps them for ever (EXECUTOR_SETTLED_TTL). */
  settledTtlMs: number;
  /** Where a task's lease and idempotency marker live (REDIS_TASK_KEYS; default `split`, see TaskKeys). */
  taskKeys?: TaskKeyLayout;
  /** How long a task claim lasts without renewal, ms (about the reclaim idle time; longer than the keep-alive period). */
  leaseMs: number;
  /**
   * How long a blocking read may go past its block time with no reply data arriving before its
   * connection counts as wedged, ms (default: the block time, at least 1 s).
   */
  watchdogMarginMs?: number;
  /** Told the busiest streams and the totals at the end of each audit pass (the console's backlog). */
  onBacklog?: (snapshot: BacklogSnapshot) => void;
}

export const DEFAULT_STREAM_PATTERN = WORKFLOW_STREAM_GLOB;
/** Without notifications, discovery and the lag audit run this often (ms). */
export const FALLBACK_POLL_MS = 1000;
