/**
 * Task claims (leases) of the deliveries handed out.
 *
 * Task requests are claimed when they are handed out, in one claim-script call per stream and batch
 * (no round trip of its own per task); the answer also says whether the task already has an
 * outcome, so that `claimTask` needs no round trip of its own per task. Markers set after that
 * point are still caught: the settle script checks the marker again, atomically, before publishing.
 *
 * Owns: the claims taken at hand-out (delivery → key, lease, holder, and the script's code until
 * used) and the leases each delivery holds beyond that claim. Who changes what: only this class; the settler asks it for a delivery's lease keys and
 * calls `forget` once the delivery is settled or acknowledged.
 */
import { Logger } from '../../application/ports/logger.port';
import { Delivery, TaskClaim } from '../flunq-wire/entry-stream';
import { taskKeyOf } from '../flunq-wire/stream-fields';
import { TASK_REQUESTED } from '../../domain/task-request';
import { SourceConnections } from './connections';
import { deliveryKey } from './in-flight';
import { scriptedPipeline } from './lua-scripts';
import { RedisStreamTaskSourceOptions } from './source-options';
import { leaseHolder } from './stream-keys';
import { TaskKeys } from './task-keys';

export type ClaimsOptions = Pick<RedisStreamTaskSourceOptions, 'group' | 'consumer' | 'leaseMs' | 'taskKeys'>;

/** A claim taken for a task request when it was handed out (see prefetch and claimTask). */
interface Prefetched {
  key: string;
  /** The keys its lease was written to (TaskKeys.leaseKeys). */
  leases: string[];
  holder: string;
  /** The claim script's code for it (undefined: the call failed), until claimTask has used it. */
  code: Promise<number | undefined> | undefined;
}

export class Claims {
  /** Claims taken for task requests when they were handed out. */
  private readonly prefetched = new Map<string, Prefetched>();
  /** Further task leases held by deliveries handed out (delivery → lease keys), renewed by `renew`. */
  private readonly leases = new Map<string, string[]>();
  private readonly keys: TaskKeys;

  constructor(
    private readonly options: ClaimsOptions,
    private readonly connections: SourceConnections,
    private readonly logger: Logger,
  ) {
    this.keys = new TaskKeys(options.taskKeys);
  }

  /** Claims the task requests among `handed`: one script call per stream, not awaited (see claimTask). */
  prefetch(handed: readonly Delivery[]): void {
    const byStream = new Map<string, { delivery: Delivery; key: string }[]>();
    for (const d of handed) {
      if (d.fields['type'] !== TASK_REQUESTED) continue;
      const key = taskKeyOf(d.fields);
      if (!key) continue;
      let tasks = byStream.get(d.stream);
      if (!tasks) byStream.set(d.stream, (tasks = []));
      tasks.push({ delivery: d, key });
    }
    // Not awaited: the deliveries are handed out at once and parsing overlaps the round trip;
    // claimTask waits for the answer. A failed call leaves no answer (undefined): ask again.
    for (const [stream, tasks] of byStream) {
      const { perTask, leasedPerTask } = this.keys;
      const args: (string | number)[] = [tasks.length * perTask];
      for (const { key } of tasks) args.push(...this.keys.claimKeys(stream, key));
      args.push(this.options.leaseMs, perTask, leasedPerTask);
      const holders = tasks.map(({ delivery }) => this.holderOf(delivery));
      args.push(...holders);
      // An explicit one-command pipeline is written at once; an auto-pipelined call would wait for the
      // end of this macrotask (setImmediate), i.e. until every delivery of the batch was parsed.
      const codes = this.connections.cluster
        ? this.connections.commands.flunqClaim(...(args as [number, ...(string | number)[]])).then(
            (reply) => reply,
            () => undefined,
          )
        : scriptedPipeline(this.connections.commands)
            .flunqClaim(...args)
            .exec()
            .then(
              (replies) => {
                const [error, reply] = replies?.[0] ?? [new Error('no reply'), null];
                return error ? undefined : (reply as number[]);
              },
              () => undefined,
            );
      tasks.forEach(({ delivery, key }, i) => {
        const code = codes.then((c) => c?.[i]);
        const first = 1 + i * perTask;
        this.prefetched.set(deliveryKey(delivery), { key, leases: args.slice(first, first + leasedPerTask) as string[], holder: holders[i] as string, code });
      });
    }
  }

  /**
   * The lease names the entry, so the same entry delivered again takes it over. The first
   * claimTask of a delivery answers from the claim taken at hand-out when the key is the same and
   * the answer cannot have changed since (`claimed`: the lease is this entry's; `settled`);
   * `running` is asked again, since its holder may have settled or died. A claim that its delivery
   * does not use is released when the delivery is settled or acknowledged.
   */
  async claimTask(delivery: Delivery, key: string): Promise<TaskClaim> {
    const pre = this.prefetched.get(deliveryKey(delivery));
    const preCode = pre?.code ? await pre.code : undefined;
    if (pre) pre.code = undefined;
    // Noted only when another key is claimed too (settle and renew know the prefetched lease).
    if (pre && preCode === 1 && pre.key !== key) this.addLeases(delivery, pre.leases);
    let code = pre?.key === key && (preCode === 1 || preCode === 2) ? preCode : undefined;
    if (code === 1) return 'claimed';
    if (code === undefined) {
      const { perTask, leasedPerTask } = this.keys;
      code = (await this.connections.commands.flunqClaim(perTask, ...this.keys.claimKeys(delivery.stream, key), this.options.leaseMs, perTask, leasedPerTask, this.holderOf(delivery)))[0];
    }
    if (code === 2) return 'settled';
    if (code !== 1) return 'running';
    this.addLeases(delivery, this.keys.leaseKeys(delivery.stream, key));
    return 'claimed';
  }

  /**
   * The keys of the settle script for `delivery`: its stream, then with `taskId` the task's marker
   * keys (`markers` of them) and every further lease the delivery may hold.
   */
  settleKeys(delivery: Delivery, taskId: string | undefined): { keys: string[]; markers: number } {
    if (!taskId) return { keys: [delivery.stream], markers: 0 };
    const markers = this.keys.markerKeys(delivery.stream, taskId);
    const id = deliveryKey(delivery);
    const pre = this.prefetched.get(id);
    // The usual case (the claim taken at hand-out, under this key) without building sets.
    if (pre && pre.key === taskId && !this.leases.has(id)) return { keys: [delivery.stream, ...markers, ...pre.leases.filter((k) => !markers.includes(k))], markers: markers.length };
    const leases = this.leaseKeysOf(delivery, taskId).filter((k) => !markers.includes(k));
    return { keys: [delivery.stream, ...markers, ...leases], markers: markers.length };
  }

  /** Leases the delivery may hold: claimed by it, taken for it when it was handed out, or those of `taskId`. */
  leaseKeysOf(delivery: Delivery, taskId?: string): string[] {
    const id = deliveryKey(delivery);
    const keys = new Set(this.leases.get(id));
    const pre = this.prefetched.get(id);
    if (pre) for (const lease of pre.leases) keys.add(lease);
    if (taskId) for (const lease of this.keys.leaseKeys(delivery.stream, taskId)) keys.add(lease);
    return [...keys];
  }

  /** Who holds the delivery's leases (its entry). */
  holderOf(delivery: Delivery): string {
    return leaseHolder(this.options.group, delivery.stream, delivery.entryId);
  }

  /**
   * Resets the idle time of a pending entry if this consumer still owns it, and renews its task
   * leases (keep-alive script); false (and a log line) when it is no longer this consumer's.
   */
  async renew(delivery: Delivery): Promise<boolean> {
    const redis = this.connections.commands;
    // Only the holder's leases are renewed (the script compares the holder), so all candidates are passed.
    const leases = this.leaseKeysOf(delivery);
    const result =
      leases.length > 0
        ? await redis.flunqKeepAlive(1 + leases.length, delivery.stream, ...leases, this.options.group, this.options.consumer, delivery.entryId, this.holderOf(delivery), this.options.leaseMs)
        : await redis.flunqKeepAlive(1, delivery.stream, this.options.group, this.options.consumer, delivery.entryId);
    if (result === 1) return true;
    if (result === -1) this.logger.warn('an entry in progress was reclaimed by another consumer; it may run twice', { stream: delivery.stream, entryId: delivery.entryId });
    else this.logger.info('an entry in progress is no longer pending (already settled)', { stream: delivery.stream, entryId: delivery.entryId });
    return false;
  }

  /** The delivery is settled or acknowledged: its claims (unused ones too: unparseable requests, duplicates) go with it. */
  forget(delivery: Delivery): void {
    const id = deliveryKey(delivery);
    this.leases.delete(id);
    this.prefetched.delete(id);
  }

  private addLeases(delivery: Delivery, leases: readonly string[]): void {
    const id = deliveryKey(delivery);
    const held = this.leases.get(id);
    if (!held) this.leases.set(id, [...leases]);
    else for (const lease of leases) if (!held.includes(lease)) held.push(lease);
  }
}
