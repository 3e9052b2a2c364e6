import { FlunqEvent, traceContextOf } from '../../domain/flunq-event';
import { Clock } from '../ports/clock.port';
import { InboundTask, TaskInbox } from '../ports/task-inbox.port';
import { ObservedTaskInbox } from './observed-task-inbox';

/** How a task observed by the activity ended. */
export type ActivityStatus = 'success' | 'failure' | 'dead_letter' | 'duplicate';

export const ACTIVITY_STATUSES: readonly ActivityStatus[] = ['success', 'failure', 'dead_letter', 'duplicate'];

export interface TaskActivitySettings {
  /** Recent outcomes kept (a ring: the oldest goes first). */
  capacity: number;
  /** Longest completion payload kept whole, in characters; a longer one keeps a preview of this length. */
  maxPayloadChars: number;
  /** Seconds of per-second counts kept for the rates. */
  windowSeconds: number;
  /** Most tasks tracked as running (a delivery whose settlement failed for good is dropped beyond it). */
  maxInFlight: number;
}

export const DEFAULT_ACTIVITY_SETTINGS: TaskActivitySettings = { capacity: 500, maxPayloadChars: 64 * 1024, windowSeconds: 120, maxInFlight: 10_000 };

/** A task being run now. */
export interface RunningTask {
  taskId: string;
  taskType: string;
  workflowId: string;
  executionId: string;
  tenantId: string;
  attempt: number;
  /** Epoch ms when the task started (its run claimed it). */
  startedAt: number;
  ageMs: number;
}

/** A task that reached an outcome, without its payload. */
export interface RecentOutcome {
  /** Grows by one per outcome: a handle for `outcome(seq)`. */
  seq: number;
  taskId: string;
  taskType: string;
  workflowId: string;
  executionId: string;
  tenantId: string;
  status: ActivityStatus;
  attempt: number;
  /** Epoch ms. */
  finishedAt: number;
  /** From receipt to settlement, ms. */
  durationMs: number;
  /** The error of a failed task, or the reason of a dead letter (secrets already blanked). */
  error: string;
  /** The W3C trace context the completion carries (the task span's), when the task was traced. */
  traceparent?: string;
}

/** A recent outcome with the completion the executor published (redacted by the executor). */
export interface RecentOutcomeDetail extends RecentOutcome {
  /** The published completion's payload, parsed; or its first characters when it was too long to keep. */
  payload: unknown;
  /** True when `payload` is a preview (text) of a longer completion. */
  truncated: boolean;
}

/** Every field matches by exact value, except `taskId`, which matches by substring. Empty means any. */
export interface OutcomeFilter {
  workflowId?: string;
  taskId?: string;
  taskType?: string;
  status?: ActivityStatus;
  /** Most outcomes returned, newest first. */
  limit?: number;
}

/** Outcomes per second, oldest first, ending with the current second. */
export interface ActivityRates {
  /** Epoch second of the first sample. */
  fromSecond: number;
  samples: Record<ActivityStatus, number>[];
  /** Outcomes counted since the start, per status. */
  totals: Record<ActivityStatus, number>;
}

interface Running {
  readonly event: FlunqEvent;
  readonly attempt: number;
  /** When it was received, then when it started (claimed). */
  startedAt: number;
  /** When its run claimed it; undefined while it waits for a slot. */
  claimedAt: number | undefined;
  taskType: string | undefined;
}

interface Stored {
  /** `taskType` and `error` of a completion are read from it when first listed (undefined until then). */
  outcome: Omit<RecentOutcome, 'taskType' | 'error'> & { taskType: string | undefined; error: string | undefined };
  /** The completion's data as published (whole, or a preview when too long). */
  data: string | undefined;
  truncated: boolean;
}

function zero(): Record<ActivityStatus, number> {
  return { success: 0, failure: 0, dead_letter: 0, duplicate: 0 };
}

/**
 * A flat copy of the first `length` characters. A plain slice may share the long string's memory
 * (and keep it alive); the round trip through JSON makes a new one.
 */
function detachedPrefix(text: string, length: number): string {
  return JSON.parse(JSON.stringify(text.slice(0, length))) as string;
}

function taskTypeOf(data: string | undefined, maxChars: number): string {
  if (data === undefined) return '';
  if (data.length <= maxChars) {
    try {
      const parsed = JSON.parse(data) as unknown;
      if (parsed && typeof parsed === 'object') {
        const record = parsed as Record<string, unknown>;
        const direct = record['task_type'];
        if (typeof direct === 'string') return direct;
        const metadata = (record['data'] as Record<string, unknown> | undefined)?.['metadata'] as Record<string, unknown> | undefined;
        if (typeof metadata?.['task_type'] === 'string') return metadata['task_type'];
      }
    } catch {
      return '';
    }
    return '';
  }
  // Too long to parse for a label: the worker writes `task_type` near the start.
  return /"task_type"\s*:\s*"([^"\\]{0,100})"/.exec(data.slice(0, 4096))?.[1] ?? '';
}

/**
 * What the executor did lately, for the operator's console: the tasks running now, a bounded ring
 * of recent outcomes with the completions the executor published, and per-second outcome counts.
 * Fed by `observe`: a task inbox that reports each delivery the loop receives and how it settles.
 * Completions are parsed when first listed, not as tasks settle (a settled task costs a few small
 * objects and one `indexOf`). All in memory and local to this process (each replica has its own).
 */
export class TaskActivity {
  private readonly running = new Map<InboundTask, Running>();
  private readonly ring: (Stored | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly seconds: number[];
  private readonly counts: Record<ActivityStatus, number>[];
  private readonly totals = zero();

  constructor(
    private readonly clock: Clock,
    private readonly settings: TaskActivitySettings = DEFAULT_ACTIVITY_SETTINGS,
  ) {
    this.ring = new Array<Stored | undefined>(Math.max(1, settings.capacity)).fill(undefined);
    this.seconds = new Array<number>(Math.max(1, settings.windowSeconds)).fill(-1);
    this.counts = Array.from({ length: Math.max(1, settings.windowSeconds) }, zero);
  }

  /** `inbox`, reporting its deliveries and their settlement here. */
  observe(inbox: TaskInbox): TaskInbox {
    return new ObservedTaskInbox(inbox, this);
  }

  /** A delivery of a task request was received: it counts as running until it settles. */
  received(task: InboundTask): void {
    if (this.running.size >= this.settings.maxInFlight) {
      const oldest = this.running.keys().next();
      if (!oldest.done) this.running.delete(oldest.value);
    }
    this.running.set(task, { event: task.event, attempt: task.attempt, startedAt: this.clock.now(), claimedAt: undefined, taskType: undefined });
  }

  /**
   * A received task started (its run claimed it): from now on it is in flight. Until then it waits
   * for a slot (fair dispatch reads ahead) and is counted as waiting, not shown as running.
   */
  started(task: InboundTask): void {
    const running = this.running.get(task);
    if (running && running.claimedAt === undefined) {
      running.claimedAt = this.clock.now();
      running.startedAt = running.claimedAt;
    }
  }

  /** Tasks received and not started yet (waiting for a slot). */
  waitingCount(): number {
    let n = 0;
    for (const running of this.running.values()) if (running.claimedAt === undefined) n++;
    return n;
  }

  /** A delivery given back unsettled (it will be delivered again): no longer in flight, no outcome. */
  released(task: InboundTask): void {
    this.running.delete(task);
  }

  /**
   * A delivery settled. `completion` is the completion as published (if any), `reason` the dead
   * letter's. Unknown deliveries (not received through `observe`) are ignored.
   */
  settled(task: InboundTask, how: 'completed' | 'dead_letter' | 'discarded', completion: FlunqEvent | undefined, reason = ''): void {
    const running = this.running.get(task);
    if (!running) return;
    this.running.delete(task);
    const now = this.clock.now();
    const data = completion?.data;
    const max = this.settings.maxPayloadChars;
    const truncated = data !== undefined && data.length > max;
    const kept = truncated ? detachedPrefix(data, max) : data;
    const status: ActivityStatus = how === 'dead_letter' ? 'dead_letter' : how === 'discarded' ? 'duplicate' : succeeded(kept) ? 'success' : 'failure';
    // A whole completion names the task type and error: read when first listed, not on every task.
    const lazy = how === 'completed' && !truncated && kept !== undefined;
    const { event } = running;
    const outcome: Stored['outcome'] = {
      seq: ++this.seq,
      taskId: event.taskId || completion?.taskId || '',
      taskType: running.taskType ?? (lazy ? undefined : taskTypeOf(event.data, max)),
      workflowId: event.workflowId,
      executionId: event.executionId,
      tenantId: event.tenantId,
      status,
      attempt: running.attempt,
      finishedAt: now,
      durationMs: now - running.startedAt,
      error: lazy && status === 'failure' ? undefined : reason,
    };
    const trace = completion ? traceContextOf(completion) : undefined;
    if (trace) outcome.traceparent = trace.traceparent;
    this.ring[this.next] = { outcome, data: kept, truncated };
    this.next = (this.next + 1) % this.ring.length;
    this.count(status, now);
  }

  /** The tasks running now, oldest first. */
  inFlight(): RunningTask[] {
    const now = this.clock.now();
    const out: RunningTask[] = [];
    for (const running of this.running.values()) {
      if (running.claimedAt === undefined) continue;
      running.taskType ??= taskTypeOf(running.event.data, this.settings.maxPayloadChars);
      const { event } = running;
      out.push({
        taskId: event.taskId,
        taskType: running.taskType,
        workflowId: event.workflowId,
        executionId: event.executionId,
        tenantId: event.tenantId,
        attempt: running.attempt,
        startedAt: running.startedAt,
        ageMs: now - running.startedAt,
      });
    }
    return out;
  }

  /** Recent outcomes matching `filter`, newest first. */
  recent(filter: OutcomeFilter = {}): RecentOutcome[] {
    const limit = filter.limit ?? this.ring.length;
    const out: RecentOutcome[] = [];
    for (let i = 1; i <= this.ring.length && out.length < limit; i++) {
      const stored = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (!stored) break;
      const o = summary(stored);
      if (filter.workflowId && o.workflowId !== filter.workflowId) continue;
      if (filter.taskType && o.taskType !== filter.taskType) continue;
      if (filter.status && o.status !== filter.status) continue;
      if (filter.taskId && !o.taskId.includes(filter.taskId)) continue;
      out.push(o);
    }
    return out;
  }

  /** One recent outcome with its payload; undefined once it has left the ring. */
  outcome(seq: number): RecentOutcomeDetail | undefined {
    for (const stored of this.ring) {
      if (stored?.outcome.seq !== seq) continue;
      if (stored.truncated) return { ...summary(stored), payload: stored.data, truncated: true };
      return { ...summary(stored), payload: parseOrText(stored.data), truncated: false };
    }
    return undefined;
  }

  /** Outcomes per second over the last `seconds` (at most the window kept), oldest first. */
  rates(seconds = this.seconds.length): ActivityRates {
    const n = Math.min(Math.max(1, seconds), this.seconds.length);
    const nowSecond = Math.floor(this.clock.now() / 1000);
    const samples: Record<ActivityStatus, number>[] = [];
    for (let s = nowSecond - n + 1; s <= nowSecond; s++) {
      const slot = ((s % this.seconds.length) + this.seconds.length) % this.seconds.length;
      samples.push(this.seconds[slot] === s ? { ...(this.counts[slot] ?? zero()) } : zero());
    }
    return { fromSecond: nowSecond - n + 1, samples, totals: { ...this.totals } };
  }

  private count(status: ActivityStatus, now: number): void {
    const second = Math.floor(now / 1000);
    const slot = second % this.seconds.length;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = zero();
    }
    const bucket = this.counts[slot];
    if (bucket) bucket[status]++;
    this.totals[status]++;
  }
}

/**
 * Whether a published completion says the task succeeded, without parsing it: its first `"success":`
 * is the top-level field (it follows the task's ids, in which a quote is always escaped).
 */
function succeeded(data: string | undefined): boolean {
  if (data === undefined) return true;
  const at = data.indexOf('"success":');
  return at < 0 || !data.startsWith('false', at + 10);
}

/** The outcome with the task type and error read from its completion (once; kept on the entry). */
function summary(stored: Stored): RecentOutcome {
  const o = stored.outcome;
  if (o.taskType === undefined || o.error === undefined) {
    const payload = parseOrText(stored.data);
    const p = payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
    const metadata = (p['data'] as Record<string, unknown> | undefined)?.['metadata'] as Record<string, unknown> | undefined;
    o.taskType ??= typeof metadata?.['task_type'] === 'string' ? metadata['task_type'] : '';
    o.error ??= typeof p['error'] === 'string' ? p['error'] : '';
  }
  return { ...o, taskType: o.taskType, error: o.error };
}

function parseOrText(data: string | undefined): unknown {
  if (data === undefined) return null;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
