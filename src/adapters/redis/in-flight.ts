/**
 * Deliveries this consumer has read and not settled. The bottom of the Redis adapter beside the
 * stream set: no connection, no other part.
 *
 * Owns the carried deliveries (read, delivered to this consumer, not handed out yet: beyond a
 * receive()'s `max`, or returned by a blocking read after its receive() ended) and the held ones
 * (handed out, not yet settled or acknowledged), with when each was last known to be alive.
 *
 * Who changes what: the facade hands deliveries out (`hand`) and takes carried ones back; the
 * reader carries the late replies of blocking reads; the settler releases settled deliveries;
 * keep-alive touches held ones. Recovery and claims only read.
 */
import { Delivery } from '../flunq-wire/entry-stream';

export interface Held {
  readonly stream: string;
  readonly id: string;
  readonly taskId: string;
  /** When the delivery was handed out or last renewed (epoch ms). */
  touchedAt: number;
}

export interface Carried {
  readonly delivery: Delivery;
  /** When it was read (epoch ms). */
  readonly at: number;
}

/** One key per entry of a stream. */
export function entryKey(stream: string, entryId: string): string {
  return `${stream}\u0000${entryId}`;
}

export function deliveryKey(delivery: Delivery): string {
  return `${delivery.stream}\u0000${delivery.entryId}`;
}

export class InFlight {
  private carried: Carried[] = [];
  private readonly held = new Map<string, Held>();

  /**
   * At most `max` of `out` are handed out (held from `now`); the rest, already delivered to this
   * consumer, are carried to the next receive(). Returns `out`, cut to `max`.
   */
  hand(out: Delivery[], max: number, now: number): Delivery[] {
    if (out.length > max) this.carry(out.splice(max), now);
    for (const d of out) this.held.set(deliveryKey(d), { stream: d.stream, id: d.entryId, taskId: d.fields['taskid'] ?? '', touchedAt: now });
    return out;
  }

  /** Deliveries read at `at` that no receive() is waiting for. */
  carry(deliveries: readonly Delivery[], at: number): void {
    for (const delivery of deliveries) this.carried.push({ delivery, at });
  }

  /** The oldest carried delivery, taken out. */
  takeCarried(): Carried | undefined {
    return this.carried.shift();
  }

  get carriedCount(): number {
    return this.carried.length;
  }

  /** Entry keys (see `entryKey`) of the carried deliveries. */
  carriedKeys(): string[] {
    return this.carried.map((c) => deliveryKey(c.delivery));
  }

  /** The held delivery of an entry key (see `entryKey`). */
  heldEntry(key: string): Held | undefined {
    return this.held.get(key);
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** The delivery is still alive at `now` (renewed). */
  touch(delivery: Delivery, now: number): void {
    const held = this.held.get(deliveryKey(delivery));
    if (held) held.touchedAt = now;
  }

  /** Settled or acknowledged: no longer held. */
  release(delivery: Delivery): void {
    this.held.delete(deliveryKey(delivery));
  }

  /** Streams of the held deliveries that carry `taskId`. */
  streamsOfTask(taskId: string): Set<string> {
    const streams = new Set<string>();
    for (const h of this.held.values()) if (h.taskId === taskId) streams.add(h.stream);
    return streams;
  }
}
