import { after, before } from 'node:test';
import Redis from 'ioredis';
import { EntryStream } from '../../src/adapters/flunq-wire/entry-stream';
import { TaskKeyLayout } from '../../src/adapters/redis/task-keys';
import { closeAll, newRedisSource } from '../support/redis-source';
import { startRedis, TestRedis } from '../support/redis-server';
import { ContractHarness, describeTaskSourceContract } from './task-source.contract';

let redis: TestRedis;
let client: Redis;
let n = 0;
const run = `${process.pid}-${Date.now()}`;

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  await redis.stop();
});

function toFields(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i] as string] = flat[i + 1] as string;
  return o;
}

/** `layoutOf(consumer)`: the task key layout of each consumer's source (REDIS_TASK_KEYS); unset: the default. */
function redisHarness(layoutOf: (consumer: string) => TaskKeyLayout | undefined = () => undefined): ContractHarness {
  const sources: EntryStream[] = [];
  const reclaimIdleMs = 300;
  return {
    reclaimIdleMs,
    leaseMs: reclaimIdleMs,
    source: (consumer, streams) => {
      const layout = layoutOf(consumer);
      const s = newRedisSource(redis.url, { group: 'contract', consumer, streams, reclaimIdleMs, ...(layout ? { taskKeys: layout } : {}) });
      sources.push(s);
      return Promise.resolve(s);
    },
    newStream: () => `tenant:contract-${run}:workflow:wf_${++n}:events`,
    append: async (stream, fields) => (await client.xadd(stream, '*', ...Object.entries(fields).flat())) as string,
    entries: async (stream) => (await client.xrange(stream, '-', '+')).map(([id, flat]) => ({ id, fields: toFields(flat) })),
    pending: async (stream) => {
      const rows = (await client.call('XPENDING', stream, 'contract', '-', '+', 100)) as [string, string, number, number][];
      return rows.map(([id, consumer, , count]) => ({ id, consumer, deliveryCount: Number(count) }));
    },
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    crash: (source) => source.close(),
    close: () => closeAll(sources),
  };
}

describeTaskSourceContract('RedisStreamTaskSource', () => Promise.resolve(redisHarness()));
describeTaskSourceContract('RedisStreamTaskSource, one key per task (REDIS_TASK_KEYS=single)', () => Promise.resolve(redisHarness(() => 'single')));
// A fleet in a rolling upgrade: the first consumer on one layout, the others on the next one.
describeTaskSourceContract('RedisStreamTaskSource, split and transition replicas together', () => Promise.resolve(redisHarness((c) => (c === 'c1' ? 'split' : 'transition'))));
describeTaskSourceContract('RedisStreamTaskSource, transition and single replicas together', () => Promise.resolve(redisHarness((c) => (c === 'c1' ? 'transition' : 'single'))));
