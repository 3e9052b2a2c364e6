import { FlunqEvent } from '../../domain/flunq-event';
import { TraceContext } from './tracer.port';

/**
 * What claiming a task found: `claimed` (this delivery may run it), `running` (another message
 * carrying the same task holds the claim right now: a duplicate), `settled` (it already has an
 * outcome).
 */
export type TaskClaim = 'claimed' | 'running' | 'settled';

/** Why a message is dead-lettered, as the dead letter records it. */
export interface DeadLetterNote {
  /** `CODE: detail`, secrets already blanked. */
  reason: string;
  /** The delivery attempt that gave up. */
  attempt: number;
  /**
   * Leave the original data out of the dead letter (it is too large to be stored twice; the request
   * itself stays where it is). The dead letter then says how many bytes were left out.
   */
  omitData?: boolean;
  /** The trace context of the task's span, carried by the dead letter in place of the request's. */
  trace?: TraceContext;
}

/**
 * One delivery of an inbound message, not yet settled: in the spirit of a BullMQ job, an AMQP
 * message or a JetStream message, it settles itself. Exactly one of `complete`, `deadLetter` and
 * `discard` ends it; until then the backend keeps it (and redelivers it if this process dies).
 *
 * Errors: every method throws when the backend is unavailable; the caller retries (processing
 * retries) or leaves the delivery to be redelivered.
 */
export interface InboundTask {
  /** The event as received: attributes decoded, data untouched. */
  readonly event: FlunqEvent;
  /** The message's size as the backend carried it (attributes and data), in bytes. */
  readonly sizeBytes: number;
  /** 1 on the first delivery; grows with every redelivery of the same message. */
  readonly attempt: number;
  /**
   * The key under which the task's outcome is recorded (its task id, or a replay's own key):
   * derived once, by the adapter, from the event. Empty when the event names no task.
   */
  readonly idempotencyKey: string;
  /** Where the message came from, for logs only (opaque: a stream and entry, a subject and sequence). */
  readonly origin: string;
  /**
   * Claims the task for this delivery before it runs, so that two messages carrying the same task
   * never run it at the same time, and says whether it already has an outcome (checked atomically
   * with the claim; an adapter may have asked when the message was received). The claim is held by
   * the message, not by this process: the same message delivered again takes it over. It lasts
   * about the redelivery time, is renewed by `renew` and released when the delivery is settled.
   * Idempotent: claiming again renews it.
   */
  claim(): Promise<TaskClaim>;
  /**
   * Publishes the task's completion and acknowledges the delivery, atomically where the backend can;
   * otherwise publication comes first, so that a crash in between leads to a redelivery, never to a
   * lost outcome (a completion already recorded is not published twice). Records the outcome under
   * `idempotencyKey` and releases the claim.
   */
  complete(completion: FlunqEvent): Promise<void>;
  /**
   * Publishes a dead letter (the original message, as only the adapter holds it, with `note`) and,
   * when given, the failed completion, then acknowledges: the same guarantees as `complete`.
   */
  deadLetter(note: DeadLetterNote, completion?: FlunqEvent): Promise<void>;
  /** Acknowledges without publishing (not a task request, or a duplicate). */
  discard(): Promise<void>;
  /**
   * Gives the delivery back unsettled, as if its holder had died, but without waiting out the
   * redelivery time: another replica (or this one) may receive it again soon, as a new attempt.
   * For a delivery that was read and never started (the executor is stopping).
   */
  release(): Promise<void>;
  /**
   * Keeps the delivery from being redelivered while the task runs long, and renews its claim.
   * Resolves false when the delivery is no longer this process's (redelivered elsewhere, settled).
   */
  renew(): Promise<boolean>;
}

/**
 * Which work the executor wants next (fair dispatch across tenants): a backend that can tell a
 * message's tenant and workflow before reading it (from a stream key, a subject) reads only what
 * the gate admits, so that a tenant's backlog is left in the backend rather than read ahead of its
 * turn. A backend that cannot tell reads anyway; the executor then orders what it holds.
 */
export interface ReadGate {
  /** Whether more work of this tenant's workflow may be read now. Cheap and synchronous. */
  admits(tenantId: string, workflowId: string): boolean;
}

/**
 * Where task requests come from: an at-least-once inbox shared by every replica.
 * Errors: `receive` throws when the backend is unavailable (the loop backs off).
 */
export interface TaskInbox {
  /**
   * Up to `max` deliveries: redeliveries of messages this replica or a dead one left unsettled
   * first, then new ones. Waits at most the adapter's block time, or until `signal` aborts, and
   * then returns what it has (possibly nothing). Never returns more than `max`. With `gate`, reads
   * only what it admits where the backend can tell (redeliveries are returned whatever it says).
   */
  receive(max: number, signal: AbortSignal, gate?: ReadGate): Promise<InboundTask[]>;
  /** Whether the backend is reachable and set up (for readiness). Cheap and synchronous. */
  isReady(): boolean;
  /** Releases connections. Unsettled deliveries stay with the backend and are redelivered. */
  close(): Promise<void>;
}
