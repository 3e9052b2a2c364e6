/**
 * `npm run bench -- --only=rediscost`: Redis CPU per task of the settlement designs, alone (no
 * executor): the same reads of a backlog of `set` requests and of the completions written, and
 * per task either the executor's scripts (claim per batch, settle per task) in their variants or
 * the ideal loop's MULTI/XADD/XACK/EXEC. Rounds alternate; Redis CPU is `INFO CPU` over the round.
 * BENCH_SETTLE_VARIANTS adds variants: comma-separated `label:claimFile:settleFile:each|batch[:layout]`
 * (empty files: the scripts as read; layout: `single` (default), `transition` or `split` task keys).
 */
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { completionFor } from './lib/ideal-loop';
import { GROUP, preload, setRequestFields, streamKey, taskIdFactory } from './lib/fixtures';
import { PrivateRedis, redisCpuSeconds } from './lib/redis-server';
import { median } from './lib/stats';
import { TASK_KEY_LAYOUTS, TaskKeyLayout, TaskKeys } from '../src/adapters/redis/task-keys';

type Entry = [id: string, fields: string[]];
type Reply = [string, Entry[]][] | null;

interface Variant {
  name: string;
  /** Settles one batch of request entries; returns when Redis has answered. */
  settle(redis: Redis, stream: string, requests: Entry[]): Promise<unknown>;
  /** Acknowledges the completions read back. */
  ackCompletions(redis: Redis, stream: string, ids: string[]): Promise<unknown>;
}

const LEASE_MS = 60_000;
const TTL_MS = 7 * 24 * 3600 * 1000;

function scriptsDir(): string {
  const candidates = [path.join(__dirname, '..', 'src', 'adapters', 'redis', 'scripts'), path.join(__dirname, '..', '..', 'src', 'adapters', 'redis', 'scripts')];
  return candidates.find((d) => fs.existsSync(d)) ?? (candidates[0] as string);
}

const read = (file: string): string => fs.readFileSync(path.join(scriptsDir(), file), 'utf8');

function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

/** The executor's scripts with the task keys of `layout`; `batchAcks`: one XACK per batch of completions. */
function scripted(name: string, claimLua: string, settleLua: string, batchAcks: boolean, layout: TaskKeyLayout = 'single'): Variant {
  const taskKeys = new TaskKeys(layout);
  return {
    name,
    async settle(redis, stream, requests) {
      const holders = requests.map(([id]) => `${GROUP.length}:${GROUP}|${stream}|${id}`);
      const taskIds = requests.map(([, flat]) => fieldsOf(flat)['taskid'] ?? '');
      const claimKeys = taskIds.flatMap((t) => taskKeys.claimKeys(stream, t));
      await redis.eval(claimLua, claimKeys.length, ...claimKeys, LEASE_MS, taskKeys.perTask, taskKeys.leasedPerTask, ...holders);
      const pipeline = redis.pipeline();
      requests.forEach(([id, flat], i) => {
        const markers = taskKeys.markerKeys(stream, taskIds[i] as string);
        const leases = taskKeys.leaseKeys(stream, taskIds[i] as string).filter((k) => !markers.includes(k));
        const completion = completionFor(fieldsOf(flat), Date.now());
        const keys = [stream, ...markers, ...leases];
        pipeline.evalsha(shaOf(settleLua), keys.length, ...keys, GROUP, id, TTL_MS, markers.length, 1, completion.length, ...completion, holders[i] as string);
      });
      return pipeline.exec();
    },
    ackCompletions: (redis, stream, ids) => (batchAcks ? redis.xack(stream, GROUP, ...ids) : Promise.all(ids.map((id) => redis.xack(stream, GROUP, id)))),
  };
}

const shas = new Map<string, string>();
function shaOf(lua: string): string {
  return shas.get(lua) as string;
}

function ideal(name: string, batchAcks: boolean): Variant {
  return {
    name,
    settle: (redis, stream, requests) =>
      Promise.all(requests.map(([id, flat]) => redis.multi().xadd(stream, '*', ...completionFor(fieldsOf(flat), Date.now())).xack(stream, GROUP, id).exec())),
    ackCompletions: (redis, stream, ids) => (batchAcks ? redis.xack(stream, GROUP, ...ids) : Promise.all(ids.map((id) => redis.xack(stream, GROUP, id)))),
  };
}

async function drain(redis: Redis, stream: string, n: number, variant: Variant): Promise<void> {
  let requests = 0;
  let completions = 0;
  while (requests < n || completions < n) {
    const reply = (await redis.xreadgroup('GROUP', GROUP, 'bench', 'COUNT', 100, 'STREAMS', stream, '>')) as Reply;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) throw new Error(`drain stalled at ${requests} requests, ${completions} completions`);
    const reqs = entries.filter(([, flat]) => flat.includes('io.flunq.task.requested'));
    const done = entries.filter(([, flat]) => !flat.includes('io.flunq.task.requested')).map(([id]) => id);
    await Promise.all([reqs.length ? variant.settle(redis, stream, reqs) : undefined, done.length ? variant.ackCompletions(redis, stream, done) : undefined]);
    requests += reqs.length;
    completions += done.length;
  }
}

export async function runRedisCost(options: { quick: boolean; log: (m: string) => void; notes: string[] }): Promise<void> {
  const variants: Variant[] = [];
  const server = await PrivateRedis.start();
  const redis = server.client();
  try {
    const claim = read('claim.lua');
    const settle = read('settle.lua');
    for (const lua of [claim, settle]) shas.set(lua, (await redis.script('LOAD', lua)) as string);
    variants.push(
      ideal('ideal-multi, one XACK per completion', false),
      scripted('settle.lua + claim.lua, split task keys, one XACK per completion', claim, settle, false, 'split'),
      scripted('settle.lua + claim.lua, split task keys, batched XACK', claim, settle, true, 'split'),
      scripted('settle.lua + claim.lua, transition task keys, batched XACK', claim, settle, true, 'transition'),
      scripted('settle.lua + claim.lua, one key per task, batched XACK (the executor)', claim, settle, true, 'single'),
    );
    for (const extra of (process.env['BENCH_SETTLE_VARIANTS'] ?? '').split(',').filter(Boolean)) {
      const [label, claimFile, settleFile, acks, layout] = extra.split(':');
      const c = claimFile ? fs.readFileSync(claimFile, 'utf8') : claim;
      const s = settleFile ? fs.readFileSync(settleFile, 'utf8') : settle;
      for (const lua of [c, s]) shas.set(lua, (await redis.script('LOAD', lua)) as string);
      variants.push(scripted(label ?? extra, c, s, acks === 'batch', TASK_KEY_LAYOUTS.find((l) => l === layout) ?? 'single'));
    }
    variants.push(ideal('ideal-multi, batched completion XACK', true));
    const n = options.quick ? 10_000 : 20_000;
    const rounds = options.quick ? 3 : 5;
    const cpu: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        await redis.flushall();
        const stream = streamKey('wf_cost');
        const nextId = taskIdFactory();
        await preload(redis, stream, n, () => setRequestFields('wf_cost', 'ex_cost', nextId()));
        await redis.xgroup('CREATE', stream, GROUP, '0');
        const c0 = await redisCpuSeconds(redis);
        await drain(redis, stream, n, variant);
        const us = (((await redisCpuSeconds(redis)) - c0) * 1e6) / n;
        (cpu[variant.name] ??= []).push(us);
      }
    }
    const base = median(cpu[variants[0]?.name ?? ''] ?? []);
    for (const v of variants) {
      const m = median(cpu[v.name] ?? []);
      options.log(`  redis cost ${v.name.padEnd(48)} ${m.toFixed(1)} µs/task (rounds ${(cpu[v.name] ?? []).map((x) => x.toFixed(1)).join(', ')})  × ideal ${(m / base).toFixed(2)}`);
    }
    options.notes.push(`redis cost: Redis CPU per task of the settlement designs alone (${n} tasks, ${rounds} alternating rounds, medians)`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (require.main === module) {
  const notes: string[] = [];
  runRedisCost({ quick: process.argv.includes('--quick'), log: (m) => process.stdout.write(`${m}\n`), notes }).catch((error: unknown) => {
    process.stderr.write(`redis cost failed: ${String(error)}\n`);
    process.exit(1);
  });
}
