import Redis from 'ioredis';
import { Dispatcher, request } from 'undici';

/**
 * The baseline: the least work a Node process can do for a flunq `set` task over Redis
 * Streams with ioredis. XREADGROUP COUNT 100 → JSON.parse → build the full completion payload
 * → XADD it and XACK the request. `multi` wraps XADD + XACK in MULTI/EXEC per task (what the
 * executor must do to settle atomically); `pipe` sends them pipelined for the whole batch.
 * No idempotency marker, no logging, no metrics, no timeouts: an upper bound, not a product.
 * With `call`, each request is a `call` task: one `undici.request` per task before its MULTI (the
 * ideal call loop of goal 4: what a raw client plus the least Redis work per task costs).
 */
export type IdealVariant = 'multi' | 'pipe';

export interface IdealLoopOptions {
  redis: Redis;
  group: string;
  consumer: string;
  /** Streams to read; all named in one XREADGROUP (the naive approach when there are many). */
  streams: () => readonly string[];
  count: number;
  blockMs: number;
  variant: IdealVariant;
  onTask: () => void;
  signal: AbortSignal;
  /** `call` tasks: each request's URL is fetched with undici (this pool) and its JSON body is the output. */
  call?: Dispatcher;
}

/** A `call` task's HTTP request, as little as undici allows: GET, the JSON body read, status and headers kept. */
export async function callOutput(dispatcher: Dispatcher, data: Json): Promise<Json> {
  const url = obj(obj(data['config'])['parameters'])['url'];
  const res = await request(typeof url === 'string' ? url : '', { dispatcher });
  const body = await res.body.json();
  return { status_code: res.statusCode, headers: res.headers, data: body };
}

const BOOKKEEPING = new Set(['task_name', 'workflow_id', 'timestamp']);

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** The completion entry for one request entry, as an XADD argument list. */
export function completionFor(fields: Record<string, string>, startedAt: number, data: Json = obj(JSON.parse(fields['data'] ?? '{}')), result?: Json): string[] {
  const payload = completionPayload(fields, startedAt, data, result);
  const out = ['id', `task-completed-${String(payload.task_id)}`, 'source', 'executor-service', 'specversion', '1.0', 'type', 'io.flunq.task.completed', 'time', rfc3339(Date.now())];
  for (const key of ['workflowid', 'executionid', 'taskid', 'tenantid']) {
    const value = fields[key];
    if (value) out.push(key, value);
  }
  out.push('data', JSON.stringify(payload));
  return out;
}

/** The `task.completed` payload (`data`) for one request: the set task's output, or `result`. */
export function completionPayload(fields: Record<string, string>, startedAt: number, data: Json, result?: Json): Json {
  const input = obj(data['input']);
  const parameters = obj(obj(data['config'])['parameters']);
  const output: Json = result ?? { ...parameters };
  if (!result) for (const key of Object.keys(input)) if (!BOOKKEEPING.has(key)) output[key] = input[key];
  const now = Date.now();
  const ms = now - startedAt;
  const taskId = typeof data['task_id'] === 'string' ? data['task_id'] : (fields['taskid'] ?? '');
  const payload = {
    task_id: taskId,
    task_name: data['task_name'],
    tenant_id: fields['tenantid'] ?? '',
    success: true,
    output,
    error: '',
    duration_ms: ms,
    executed_at: rfc3339(now),
    attempt: 1,
    data: {
      input,
      output,
      metadata: { started_at: rfc3339(startedAt), completed_at: rfc3339(now), duration_ms: ms, task_type: data['task_type'], activity_name: 'executor_activity' },
    },
  };
  return payload;
}

type Reply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

export async function runIdealLoop(options: IdealLoopOptions): Promise<void> {
  const { redis, group, consumer, count, blockMs, variant, onTask, signal } = options;
  while (!signal.aborted) {
    const streams = options.streams();
    const reply = (await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...streams, ...streams.map(() => '>'))) as Reply;
    if (!reply) continue;
    const startedAt = Date.now();
    const pipeline = variant === 'pipe' ? redis.pipeline() : undefined;
    const pending: Promise<unknown>[] = [];
    let tasks = 0;
    for (const [stream, entries] of reply) {
      for (const [id, flat] of entries) {
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
        if (fields['type'] !== 'io.flunq.task.requested') {
          pending.push(redis.xack(stream, group, id));
          continue;
        }
        tasks++;
        if (options.call) {
          const dispatcher = options.call;
          const data = obj(JSON.parse(fields['data'] ?? '{}'));
          pending.push(callOutput(dispatcher, data).then((output) => redis.multi().xadd(stream, '*', ...completionFor(fields, startedAt, data, output)).xack(stream, group, id).exec()));
          continue;
        }
        const completion = completionFor(fields, startedAt);
        if (pipeline) pipeline.xadd(stream, '*', ...completion).xack(stream, group, id);
        else pending.push(redis.multi().xadd(stream, '*', ...completion).xack(stream, group, id).exec());
      }
    }
    if (pipeline) pending.push(pipeline.exec());
    await Promise.all(pending);
    for (let i = 0; i < tasks; i++) onTask();
  }
}
