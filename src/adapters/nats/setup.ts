import { JetStreamManager, KV, NatsConnection, nanos, RetentionPolicy, StorageType } from 'nats';
import { subjectCovers, workflowSubjects } from './subjects';

/** The JetStream objects the executor reads from and writes to. */
export interface JetStreamLayout {
  /** The stream holding every workflow's events (NATS_STREAM). */
  stream: string;
  /** NATS_SUBJECT_PREFIX. */
  subjectPrefix: string;
  /** The durable pull consumer shared by every replica (EXECUTOR_CONSUMER_GROUP). */
  durable: string;
  /** How long a delivered message may stay unacknowledged before it is redelivered, ms. */
  ackWaitMs: number;
  /** Deliveries of one message after which JetStream gives it up. */
  maxDeliver: number;
  /**
   * The duplicate window of a stream the executor creates, ms: at least the longest a task can take
   * to be redelivered and run again, so that the completion of a task whose executor died between
   * publishing and recording it is dropped as a duplicate when it is published again.
   */
  duplicateWindowMs?: number;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}

/**
 * The stream of workflow events: created (file storage, limits retention, so the flunq worker and
 * timer read the same events) when missing; an existing one is used as is when its subjects cover
 * every workflow subject, and refused otherwise (nothing the executor publishes would be kept).
 */
export async function ensureStream(jsm: JetStreamManager, layout: Pick<JetStreamLayout, 'stream' | 'subjectPrefix' | 'duplicateWindowMs'>, logger?: { warn(message: string, fields?: Record<string, unknown>): void }): Promise<void> {
  const subjects = workflowSubjects(layout.subjectPrefix);
  try {
    const info = await jsm.streams.info(layout.stream);
    if (!(info.config.subjects ?? []).some((s) => subjectCovers(s, subjects))) {
      throw new Error(`JetStream stream ${layout.stream} exists but its subjects (${(info.config.subjects ?? []).join(', ') || 'none'}) do not cover ${subjects}`);
    }
    const windowMs = (info.config.duplicate_window ?? 0) / 1e6;
    if (layout.duplicateWindowMs !== undefined && windowMs < layout.duplicateWindowMs) {
      logger?.warn('the stream drops duplicate publications for less time than a task may take to be redelivered and run again; a completion published twice after a crash could then be kept twice', { stream: layout.stream, duplicateWindowMs: windowMs, neededMs: layout.duplicateWindowMs });
    }
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await jsm.streams.add({
    name: layout.stream,
    subjects: [subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    ...(layout.duplicateWindowMs !== undefined ? { duplicate_window: nanos(layout.duplicateWindowMs) } : {}),
  });
}

/** A bucket name from free text: KV bucket names allow `A-Z a-z 0-9 _ -` only. */
export function bucketName(stream: string, group: string): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${clean(stream)}_TASKS_${clean(group)}`;
}

/**
 * A key-value bucket keeping one value per key, entries expiring after `ttlMs` (0: never): the
 * task-outcome bucket (see TaskClaims), and the bucket of cached documents. An existing bucket is kept, its TTL brought to `ttlMs` (EXECUTOR_SETTLED_TTL may change
 * between deployments).
 */
export async function openTaskBucket(nc: NatsConnection, name: string, ttlMs: number, timeoutMs?: number): Promise<KV> {
  const kv = await nc.jetstream(timeoutMs === undefined ? {} : { timeout: timeoutMs }).views.kv(name, { history: 1, storage: StorageType.File, ...(ttlMs > 0 ? { ttl: ttlMs } : {}), ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) });
  const status = await kv.status();
  if (status.ttl !== ttlMs) {
    const jsm = await nc.jetstreamManager();
    const stream = `KV_${name}`;
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...config, max_age: nanos(ttlMs) });
  }
  return kv;
}
