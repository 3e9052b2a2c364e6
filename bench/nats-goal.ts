/**
 * NATS JetStream drain: the executor (EVENT_STREAM_TYPE=nats) against the ideal JetStream loop
 * (fetch, publish with a msg-id, ack) on the same preloaded backlog of flunq set requests, in
 * alternating rounds on a private nats-server; prints throughput, CPU per task and their ratio.
 */
import { connect, JetStreamClient } from 'nats';
import { messageFromFields, natsHeadersOf } from '../src/adapters/nats/cloudevent-headers';
import { ensureStream } from '../src/adapters/nats/setup';
import { ensureSingleConsumer } from '../src/adapters/nats/tenant-consumers';
import { workflowSubject } from '../src/adapters/nats/subjects';
import { ChildMode, ChildResult } from './child';
import { startChild } from './lib/child-process';
import { setRequestFields, TENANT, taskIdFactory } from './lib/fixtures';
import { PrivateNats } from './lib/nats-server';
import { median } from './lib/stats';

export interface NatsGoalContext {
  quick: boolean;
  rows: { goal: string; metric: string; executor: string; baseline: string; ratio: string; target: string; met: string }[];
  notes: string[];
  env: Record<string, string>;
  log(message: string): void;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function toFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

/** Publishes `count` set requests on one workflow subject, pipelined in chunks. */
async function preload(js: JetStreamClient, prefix: string, count: number): Promise<void> {
  const nextId = taskIdFactory();
  const subject = workflowSubject(prefix, TENANT, 'wf_drain');
  const encoder = new TextEncoder();
  for (let start = 0; start < count; start += 1000) {
    const pending: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const fields = toFields(setRequestFields('wf_drain', 'ex_drain', nextId()));
      const message = messageFromFields(fields);
      pending.push(js.publish(subject, encoder.encode(message.body ?? ''), { headers: natsHeadersOf(message, fields['id']) }));
    }
    await Promise.all(pending);
  }
}

export async function runNatsGoal(ctx: NatsGoalContext): Promise<void> {
  const n = ctx.quick ? 5_000 : 20_000;
  const rounds = ctx.quick ? 2 : 3;
  const server = await PrivateNats.start();
  const nc = await connect({ servers: server.url });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const results: Record<'nats-ideal' | 'nats-executor', ChildResult[]> = { 'nats-ideal': [], 'nats-executor': [] };
  let round = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['nats-ideal', 'nats-executor'] as const satisfies readonly ChildMode[]) {
        const id = ++round;
        const nats = { url: server.url, stream: `BENCH_${id}`, prefix: `bench${id}` };
        const layout = { stream: nats.stream, subjectPrefix: nats.prefix, durable: 'executor-service', ackWaitMs: 60_000, maxDeliver: 7 };
        await ensureStream(jsm, layout);
        await ensureSingleConsumer(jsm, layout, false);
        await preload(js, nats.prefix, n);
        const child = startChild({ mode, redisUrl: '', streams: [], target: n, env: ctx.env, nats }, 600_000);
        try {
          await child.ready;
          child.go();
          const result = await child.done;
          await child.exited;
          results[mode].push(result);
          ctx.log(`  nats round ${r + 1} ${mode}: ${n} tasks in ${fmt(result.elapsedMs)} ms (${fmt((n / result.elapsedMs) * 1000)} tasks/s, ${fmt((result.cpuMs * 1000) / n)} µs CPU per task)`);
        } catch (error) {
          child.kill();
          throw error;
        }
        await jsm.streams.delete(nats.stream);
      }
    }
  } finally {
    await nc.close();
    await server.stop();
  }
  const rate = (mode: 'nats-ideal' | 'nats-executor'): number => median(results[mode].map((x) => (n / x.elapsedMs) * 1000));
  const cpu = (mode: 'nats-ideal' | 'nats-executor'): number => median(results[mode].map((x) => (x.cpuMs * 1000) / n));
  const e = rate('nats-executor');
  const b = rate('nats-ideal');
  ctx.log(`  nats drain ratio (executor / ideal JetStream loop): ${fmt(e / b, 2)} throughput, ${fmt(cpu('nats-executor') / cpu('nats-ideal'), 2)} CPU per task`);
  ctx.rows.push({ goal: `nats drain ${n}`, metric: 'tasks/s', executor: fmt(e), baseline: `${fmt(b)} (ideal JetStream)`, ratio: fmt(e / b, 2), target: '', met: '' });
  ctx.rows.push({ goal: `nats drain ${n}`, metric: 'µs CPU per task', executor: fmt(cpu('nats-executor')), baseline: `${fmt(cpu('nats-ideal'))} (ideal JetStream)`, ratio: fmt(cpu('nats-executor') / cpu('nats-ideal'), 2), target: '', met: '' });
  ctx.notes.push('nats: the ideal JetStream loop pulls 100 at a time, publishes each completion with its Nats-Msg-Id and acks; it claims nothing and records no outcome, which the executor does (two key-value round trips per task: the claim and the recorded outcome; neither acknowledges with confirmation).');
}
