import { TaskClaim } from '../../application/ports/task-inbox.port';
import { StreamFields } from './stream-fields';

export type { TaskClaim };

/** One entry read from the task stream, not yet settled. */
export interface Delivery {
  /** Where the entry lives (a stream key); completions and dead letters go to the same place. */
  readonly stream: string;
  /** The entry id within the stream. */
  readonly entryId: string;
  readonly fields: StreamFields;
  /** 1 on the first delivery; grows each time the entry is delivered again. */
  readonly deliveryCount: number;
}

/** A new entry to append next to the request. */
export type OutgoingEntry = Record<string, string>;

/**
 * A stream of flat-field entries read through a consumer group (at-least-once delivery): what the
 * Redis and the in-process backends provide. `EntryStreamInbox` turns it into the executor's
 * `TaskInbox` (decoding the flunq events, deriving idempotency keys, building dead letters), so that
 * the flunq binding of stream entries exists once.
 *
 * Errors: every method throws when the stream is unavailable; the caller retries
 * (processing retries) or leaves the delivery pending for recovery.
 */
export interface EntryStream {
  /**
   * Up to `max` deliveries: this consumer's own pending entries first (after a restart),
   * then entries reclaimed from dead consumers, then new ones. Waits at most the configured
   * block time, or until `signal` aborts, and then returns what it has (possibly nothing).
   * With `admits`, new entries are read only from streams it admits (asked before each read of a
   * stream; cheap and synchronous); own pending and reclaimed entries are returned whatever it says.
   */
  receive(max: number, signal: AbortSignal, admits?: (stream: string) => boolean): Promise<Delivery[]>;
  /**
   * Appends `entries` to the delivery's stream and acknowledges the delivery, atomically:
   * either everything is written or nothing is. When `taskId` is given, records that the
   * task has an outcome (see `claimTask`) and releases the delivery's claim on it (see
   * `claimTask`) in the same step. Idempotent per delivery.
   */
  settle(delivery: Delivery, entries: readonly OutgoingEntry[], taskId?: string): Promise<void>;
  /** Acknowledges without writing anything (entries that are not task requests, duplicates). */
  acknowledge(delivery: Delivery): Promise<void>;
  /**
   * Leaves the entry pending but idle past the reclaim time, so that a consumer's next reclaim
   * takes it at once (see InboundTask.release); the delivery's task claim goes with it.
   */
  release(delivery: Delivery): Promise<void>;
  /**
   * Claims the right to run a task for this delivery, before its handler runs, so that two entries
   * carrying the same task (the worker published it twice, a replay sharing the idempotency key)
   * never run it at the same time. `key` is the task's idempotency key, the one later given to
   * `settle`.
   *
   * The claim is a lease held by the delivery's entry (consumer group and entry id), not by this
   * consumer: the same entry delivered again (after a crash, or reclaimed by another consumer)
   * takes it over, while another entry carrying the same task gets `running`. The lease lasts the
   * adapter's lease time (about the reclaim idle time, in ms), is renewed by `keepAlive` and is
   * released by `settle` in the same atomic step as the outcome. If its holder dies, the holder's
   * entry stays pending and is redelivered; the lease expires meanwhile at the latest.
   *
   * `settled` is checked atomically with the claim, so an outcome written after the delivery was handed
   * out is still seen. Idempotent: claiming again for the same delivery renews the lease.
   * Throws when the stream is unavailable (nothing is claimed then).
   */
  claimTask(delivery: Delivery, key: string): Promise<TaskClaim>;
  /**
   * Keeps a long-running delivery from being reclaimed by another consumer (resets its idle time),
   * only while this consumer still owns it, and renews its task claim (see `claimTask`). Adapters
   * that can tell resolve `false` when the delivery is no longer this consumer's (reclaimed by
   * another one, or already settled).
   */
  keepAlive(delivery: Delivery): Promise<boolean | void>;
  /** Whether the stream is reachable and set up (for readiness). */
  isReady(): boolean;
  /** Releases connections. Pending deliveries stay pending. */
  close(): Promise<void>;
}
