/**
 * Where a task's lease and idempotency marker live in Redis (REDIS_TASK_KEYS), for the claim,
 * settle, keep-alive and release scripts and the history scan.
 *
 * Every key of a task follows one rule, whatever the layout: `1` means the task has an outcome, any
 * other value is the holder of its lease (a holder always contains `:`, so it is never `1`). So the
 * scripts read any layout the same way, and a fleet can move from one layout to another while it runs.
 *
 * - `split` (the default): the layout of the earlier releases: a lease key
 *   (`flunq:executor:running:…`) and a marker key (`flunq:executor:settled:…`). Three key
 *   operations per claim and four per settle.
 * - `single`: one key per task (`flunq:executor:task:…`): the claim sets it to the holder, the settle
 *   script overwrites it with `1`. Two key operations per claim and two per settle.
 * - `transition`: both, read and written, so that executors on `split` and on `single` see its
 *   leases and markers and it sees theirs: for a rolling upgrade from `split` (docs/operations.md).
 *
 * Owns no state: plain functions of the layout.
 */
import { runningLeaseKey, settledMarkerKey, taskStateKey } from './stream-keys';

export type TaskKeyLayout = 'single' | 'transition' | 'split';

export const TASK_KEY_LAYOUTS: readonly TaskKeyLayout[] = ['single', 'transition', 'split'];

export class TaskKeys {
  /** Keys per task in a claim (claim.lua): the lease keys first, then the ones only read. */
  readonly perTask: number;
  /** How many of a task's claim keys its lease is written to. */
  readonly leasedPerTask: number;

  constructor(readonly layout: TaskKeyLayout = 'split') {
    this.perTask = layout === 'transition' ? 3 : layout === 'split' ? 2 : 1;
    this.leasedPerTask = layout === 'transition' ? 2 : 1;
  }

  /** The keys the claim script reads for a task, those its lease is written to first. */
  claimKeys(stream: string, key: string): string[] {
    if (this.layout === 'single') return [taskStateKey(stream, key)];
    if (this.layout === 'split') return [runningLeaseKey(stream, key), settledMarkerKey(stream, key)];
    return [taskStateKey(stream, key), runningLeaseKey(stream, key), settledMarkerKey(stream, key)];
  }

  /** The keys a claim of the task writes its holder to (renewed by the keep-alive, released when it ends). */
  leaseKeys(stream: string, key: string): string[] {
    return this.claimKeys(stream, key).slice(0, this.leasedPerTask);
  }

  /** The keys that say the task has an outcome: read by the settle script before it publishes, set to `1` after. */
  markerKeys(stream: string, key: string): string[] {
    if (this.layout === 'single') return [taskStateKey(stream, key)];
    if (this.layout === 'split') return [settledMarkerKey(stream, key)];
    return [taskStateKey(stream, key), settledMarkerKey(stream, key)];
  }
}
