/**
 * Task claims and recorded outcomes in a JetStream key-value bucket, one key per idempotency key.
 *
 * A value is `{"state":"settled"}` once the task has an outcome, or
 * `{"state":"running","holder":<message>,"until":<epoch ms>}` while a delivery holds its claim. The
 * holder is the request message's stream sequence, so the same message redelivered (to this or
 * another replica) takes the claim over, while another message carrying the same task finds it
 * `running` until the lease runs out. Every change is a compare-and-set on the key's revision, so
 * two replicas never both claim. The bucket's TTL (EXECUTOR_SETTLED_TTL) bounds how long outcomes
 * are remembered, as the settled markers expire on Redis.
 */
import { KV } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { TaskClaim } from '../../application/ports/task-inbox.port';

interface ClaimValue {
  state: 'running' | 'settled';
  holder?: string;
  until?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Present while a history scan runs (two tokens: never a task key, which has three). */
const HISTORY_SCANNING = 'history.scanning';
/** Compare-and-set attempts before a claim contended that hard reports `running`. */
const CAS_ATTEMPTS = 8;

/**
 * The key-value key of a task: the tenant and workflow of the subject the request was published on,
 * then its idempotency key, each escaped (see `bucketKey`) and joined by dots. Scoped like the Redis
 * markers (which live next to their stream), so that no tenant can settle or hold another's task
 * by reusing its task id.
 */
export function taskBucketKey(scope: { tenantId: string; workflowId: string }, key: string): string {
  return `${bucketKey(scope.tenantId)}.${bucketKey(scope.workflowId)}.${bucketKey(key)}`;
}

/** A key-value token for free text: every character other than `A-Z a-z 0-9 _ -` as `=XX` (UTF-8 bytes). */
export function bucketKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (/^[A-Za-z0-9_-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isConflict(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}

function parse(bytes: Uint8Array): ClaimValue | undefined {
  try {
    const value = JSON.parse(decoder.decode(bytes)) as ClaimValue;
    return value.state === 'running' || value.state === 'settled' ? value : undefined;
  } catch {
    return undefined;
  }
}

export class TaskClaims {
  constructor(
    private readonly kv: KV,
    private readonly clock: Clock,
    /** How long a claim lasts without renewal, ms. */
    private readonly leaseMs: number,
  ) {}

  /** Claims the task at bucket key `k` (see `taskBucketKey`) for the message `holder` (see the port's `claim`). */
  async claim(k: string, holder: string): Promise<TaskClaim> {
    // Most tasks are new: creating the key first is one round trip, and fails when it exists.
    try {
      await this.kv.create(k, this.running(holder));
      return 'claimed';
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const entry = await this.kv.get(k);
      const value = entry && entry.operation === 'PUT' ? parse(entry.value) : undefined;
      if (value?.state === 'settled') return 'settled';
      if (value && value.holder !== holder && (value.until ?? 0) > this.clock.now()) return 'running';
      try {
        if (entry) await this.kv.update(k, this.running(holder), entry.revision);
        else await this.kv.create(k, this.running(holder));
        return 'claimed';
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    return 'running';
  }

  /** Extends the claim of `holder`; false when the task is settled or another message holds it. */
  async renew(k: string, holder: string): Promise<boolean> {
    const entry = await this.kv.get(k);
    const value = entry && entry.operation === 'PUT' ? parse(entry.value) : undefined;
    if (!entry || !value) return true;
    if (value.state === 'settled' || value.holder !== holder) return false;
    try {
      await this.kv.update(k, this.running(holder), entry.revision);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Records that the task has an outcome (and so releases its claim). Idempotent. */
  async settle(k: string): Promise<void> {
    await this.kv.put(k, encoder.encode(JSON.stringify({ state: 'settled' } satisfies ClaimValue)));
  }

  /**
   * Records that the message at stream sequence `seq` is now in its `delivery`-th delivery, so that
   * an earlier delivery still running learns it was redelivered (see `deliveredAgain`). Keys
   * `delivery.<seq>` (two tokens) never collide with task keys (three tokens). Forgotten once the
   * message is settled (see `forgetDelivery`), so that a sequence reused by a recreated stream or
   * consumer does not inherit it.
   */
  async markDelivery(seq: number, delivery: number): Promise<void> {
    await this.kv.put(`delivery.${seq}`, encoder.encode(String(delivery)));
  }

  /** Whether the message at `seq` was delivered again after its `delivery`-th delivery. */
  async deliveredAgain(seq: number, delivery: number): Promise<boolean> {
    const entry = await this.kv.get(`delivery.${seq}`);
    return entry !== null && entry.operation === 'PUT' && Number(decoder.decode(entry.value)) > delivery;
  }

  /**
   * Whether the history scan (see history-scan.ts) is due: the bucket is empty (a new group, or
   * every entry expired), or a scan was cut short.
   */
  async historyScanDue(): Promise<boolean> {
    if ((await this.kv.status()).values === 0) return true;
    const entry = await this.kv.get(HISTORY_SCANNING);
    return entry !== null && entry.operation === 'PUT';
  }

  /** Marks a history scan as begun (`true`) or done (`false`). */
  async historyScanning(begun: boolean): Promise<void> {
    if (begun) await this.kv.put(HISTORY_SCANNING, encoder.encode('1'));
    else await this.kv.purge(HISTORY_SCANNING);
  }

  /** The message at `seq` is settled: its delivery marker goes (best effort: it expires with the bucket's TTL anyway). */
  async forgetDelivery(seq: number): Promise<void> {
    await this.kv.purge(`delivery.${seq}`).catch(() => undefined);
  }

  private running(holder: string): Uint8Array {
    return encoder.encode(JSON.stringify({ state: 'running', holder, until: this.clock.now() + this.leaseMs } satisfies ClaimValue));
  }
}
