import { isPlainObject } from '../../../domain/json';
import { bucketShape, CallHost, hostLabel, HostRateRule, MAX_BURST, parseRate, Rate, RateLimitSyntaxError, retryAfterMs, ruleFor } from '../../../domain/rate-limit';
import { errors, WorkflowError } from '../../../domain/workflow-error';
import { Clock } from '../../ports/clock.port';
import { Logger } from '../../ports/logger.port';
import { Metrics } from '../../ports/metrics.port';
import { RateBucket, RateLimiter } from '../../ports/rate-limiter.port';

/** The operator's rate limits (CALL_RATE_LIMITS and the CALL_RATE_LIMIT_* settings). */
export interface CallRateLimitSettings {
  rules: readonly HostRateRule[];
  /** Longest wait for a slot whatever the deadline, ms; undefined: the task's deadline alone bounds it. */
  maxWaitMs: number | undefined;
  /** Longest push-back a downstream's `Retry-After` may ask for, ms. */
  maxPenaltyMs: number;
  /** Push-back after a 429 without `Retry-After`, ms (0: none). */
  backoffMs: number;
}

export const DEFAULT_CALL_RATE_LIMITS: CallRateLimitSettings = { rules: [], maxWaitMs: undefined, maxPenaltyMs: 60_000, backoffMs: 1000 };

/** A task's own limit (`rate_limit` in its call parameters). */
export interface TaskRateLimit {
  rate: Rate;
  burst: number;
  /** What shares the bucket within the tenant: the host, the operation, or a key the task names. */
  scope: { kind: 'host' } | { kind: 'operation' } | { kind: 'key'; key: string };
  /** Longest wait for this call's slots, ms; undefined: the deadline alone bounds it. */
  maxWaitMs: number | undefined;
}

const MAX_KEY_LENGTH = 128;
const MAX_WAIT_LIMIT_MS = 86_400_000;

function invalid(detail: string): WorkflowError {
  return errors.configuration(`invalid rate_limit: ${detail}`);
}

/**
 * `rate_limit: {rate: "5/s", burst?: 1, per?: host | operation, key?: "name", max_wait_ms?: n}` from
 * a call's parameters; undefined when absent. Throws a `configuration` WorkflowError for a bad one.
 */
export function parseTaskRateLimit(value: unknown): TaskRateLimit | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw invalid('expected an object such as {rate: "5/s"}');
  for (const name of Object.keys(value)) if (!['rate', 'burst', 'per', 'key', 'max_wait_ms'].includes(name)) throw invalid(`unknown field "${name}" (rate, burst, per, key, max_wait_ms)`);
  const rateText = value['rate'];
  if (typeof rateText !== 'string') throw invalid('rate is required, as calls/period such as "5/s"');
  let rate: Rate;
  try {
    rate = parseRate(rateText);
  } catch (error) {
    throw invalid(error instanceof RateLimitSyntaxError ? error.message : String(error));
  }
  const burst = value['burst'] ?? 1;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > MAX_BURST) throw invalid(`burst must be an integer from 1 to ${MAX_BURST}`);
  const per = value['per'] ?? 'host';
  if (per !== 'host' && per !== 'operation') throw invalid('per must be "host" or "operation"');
  const key = value['key'];
  if (key !== undefined && (typeof key !== 'string' || key.trim() === '' || key.length > MAX_KEY_LENGTH)) throw invalid(`key must be a non-empty text of at most ${MAX_KEY_LENGTH} characters`);
  if (key !== undefined && value['per'] !== undefined) throw invalid('give either key or per, not both');
  const maxWait = value['max_wait_ms'];
  if (maxWait !== undefined && (typeof maxWait !== 'number' || !Number.isInteger(maxWait) || maxWait < 0 || maxWait > MAX_WAIT_LIMIT_MS)) throw invalid(`max_wait_ms must be an integer from 0 to ${MAX_WAIT_LIMIT_MS}`);
  return {
    rate,
    burst,
    scope: typeof key === 'string' ? { kind: 'key', key: key.trim() } : { kind: per },
    maxWaitMs: maxWait,
  };
}

/** What a call is, as its limits see it. */
export interface LimitedCall {
  readonly tenant: string;
  readonly host: CallHost;
  /** The operation within the host (see docs/call-rate-limits.md): what `per: operation` shares. */
  readonly operation: string;
}

/** One bucket a call goes through, with the metric label it is counted under. */
export interface UsedBucket {
  readonly bucket: RateBucket;
  /** The operator's pattern, or `task`. */
  readonly label: string;
  /** How the limit reads in messages (`api.example.com=10/s`, `task rate_limit 5/s`). */
  readonly describe: string;
  readonly maxWaitMs: number | undefined;
}

/**
 * The buckets of one call: the task's own first (in its tenant's key space, so a task can never
 * take or block another tenant's slots), then the operator's rule for the host. A call needs a slot
 * of each, so a task's limit can only make calls slower than the operator's, never faster.
 */
export function bucketsFor(rules: readonly HostRateRule[], call: LimitedCall, task: TaskRateLimit | undefined): UsedBucket[] {
  const used: UsedBucket[] = [];
  if (task) {
    // An operation is what a call does at one host: `GET /health` of two services are two operations.
    const scope = task.scope.kind === 'host' ? hostLabel(call.host) : task.scope.kind === 'operation' ? `${hostLabel(call.host)} ${call.operation}` : task.scope.key;
    used.push({
      bucket: { key: `t:${JSON.stringify([call.tenant, task.scope.kind, scope, task.rate.text, task.burst])}`, shape: bucketShape(task.rate, task.burst) },
      label: 'task',
      describe: `the task's rate_limit ${task.rate.text}`,
      maxWaitMs: task.maxWaitMs,
    });
  }
  const rule = ruleFor(rules, call.host);
  if (rule) {
    const parts: string[] = [rule.pattern, rule.rate.text, String(rule.burst)];
    if (rule.perHost) parts.push(hostLabel(call.host));
    if (rule.perTenant) parts.push(call.tenant);
    used.push({ bucket: { key: `o:${JSON.stringify(parts)}`, shape: bucketShape(rule.rate, rule.burst) }, label: rule.pattern, describe: `the limit ${rule.pattern}=${rule.rate.text}`, maxWaitMs: undefined });
  }
  return used;
}

/** RATE_LIMITED: no slot within the time the call may wait; a `try` may retry it later. */
export function rateLimited(used: UsedBucket, retryAfterMs: number, allowedMs: number, why: string, host: CallHost): WorkflowError {
  return new WorkflowError({
    kind: 'communication',
    code: 'RATE_LIMITED',
    title: 'Rate Limited',
    status: 429,
    retryable: true,
    detail: `call to ${hostLabel(host)} not sent: ${used.describe} has no free slot for ${retryAfterMs} ms, longer than ${why} (${Math.max(0, Math.floor(allowedMs))} ms)`,
    data: { limit: used.label, host: hostLabel(host), retry_after_ms: retryAfterMs },
  });
}

/** Rate-limit waits and pushbacks of the call protocols, over one RateLimiter. */
export class CallRateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly settings: CallRateLimitSettings,
    private readonly metrics?: Metrics,
  ) {}

  /**
   * Takes a slot of every bucket before waiting for any: each is asked for a slot within the
   * deadline, CALL_RATE_LIMIT_MAX_WAIT and the task's `max_wait_ms`; when one refuses, the slots
   * already granted are given back and the call fails at once with RATE_LIMITED. Otherwise it
   * sleeps once (on the Clock, stopped by `signal`) until the latest slot. Returns that wait in ms.
   */
  async acquire(used: readonly UsedBucket[], host: CallHost, deadline: number, signal: AbortSignal): Promise<number> {
    const granted: { step: UsedBucket; waitMs: number }[] = [];
    try {
      for (const step of used) {
        const left = deadline - this.clock.now();
        // The slot must come before the deadline, not at it: a call sent then would have no time at all.
        let budget = left - 1;
        let allowed = left;
        let why = "the time left before the task's deadline";
        for (const [limit, name] of [
          [this.settings.maxWaitMs, 'CALL_RATE_LIMIT_MAX_WAIT'],
          [step.maxWaitMs, "the task's max_wait_ms"],
        ] as const) {
          if (limit !== undefined && limit < budget) {
            budget = allowed = limit;
            why = name;
          }
        }
        const reservation = await this.limiter.reserve(step.bucket, Math.max(0, budget));
        if (!reservation.granted) {
          this.metrics?.rateLimitRefused(step.label);
          throw rateLimited(step, reservation.retryAfterMs, allowed, why, host);
        }
        granted.push({ step, waitMs: reservation.waitMs });
      }
    } catch (error) {
      // The call is not sent: its slots go back to the buckets, for the calls that will be.
      await Promise.all(granted.map(({ step }) => this.limiter.release(step.bucket).catch(() => undefined)));
      throw error;
    }
    let longest = 0;
    for (const { step, waitMs } of granted) {
      if (waitMs > 0) this.metrics?.rateLimitWaited(step.label, waitMs);
      longest = Math.max(longest, waitMs);
    }
    if (longest > 0) await this.clock.sleep(longest, signal);
    return longest;
  }

  /**
   * After an answer that asks to slow down (429, or 503 with `Retry-After`): no replica takes a slot
   * of these buckets before the time it names (capped at CALL_RATE_LIMIT_MAX_PENALTY), or for
   * CALL_RATE_LIMIT_BACKOFF after a 429 that names none. A backend failure here is logged, not
   * thrown: the call itself has its answer.
   */
  async pushBack(used: readonly UsedBucket[], answer: { throttled: boolean; unavailable: boolean; retryAfter: string | undefined }, logger: Logger): Promise<void> {
    if (used.length === 0 || (!answer.throttled && !answer.unavailable)) return;
    const now = this.clock.now();
    const asked = retryAfterMs(answer.retryAfter, now);
    const delay = asked ?? (answer.throttled ? this.settings.backoffMs : 0);
    if (delay <= 0) return;
    const until = now + Math.min(delay, this.settings.maxPenaltyMs);
    for (const step of used) {
      try {
        await this.limiter.pushBack(step.bucket, until);
        this.metrics?.rateLimitPushedBack(step.label, asked === undefined ? 'backoff' : 'retry_after');
      } catch (error) {
        logger.warn('rate limit push-back failed', { limit: step.label, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
