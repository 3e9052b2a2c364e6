import Redis, { Cluster } from 'ioredis';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { RedisDeadLetterStore, replaysKey, resolutionsKey } from '../../src/adapters/redis/dead-letter-store';
import { FakeClock } from '../support/fake-clock';
import { DeadLetterHarness } from './dead-letter-store.contract';

let n = 0;
const run = `${process.pid}-${Date.now()}`;

/**
 * The contract's harness on a Redis server or cluster that `client` reaches; `open` builds the store
 * for the harness's workflows (a glob), on the harness's clock. Each harness has a tenant of its own.
 */
export function redisDeadLetterHarness(client: Redis | Cluster, open: (clock: FakeClock, pattern: string) => RedisDeadLetterStore): DeadLetterHarness {
  // Entry ids are stamped by the server in real time: the store's clock starts at it and follows it.
  const clock = new FakeClock(Date.now());
  const tenant = `dlq-${run}-${++n}`;
  const store = open(clock, `tenant:${tenant}:workflow:*:events`);
  return {
    store,
    newWorkflow: () => {
      const workflow = `wf_${++n}`;
      return { location: workflowStream(tenant, workflow), tenant, workflow };
    },
    append: async (w, fields) => (await client.xadd(w.location, '*', ...Object.entries(fields).flat())) ?? '',
    messageIds: async (w) => (await client.xrange(w.location, '-', '+')).map(([id]) => id),
    records: async (w, id) => {
      const replays = (await client.hkeys(replaysKey(w.location))).filter((k) => k === id || k.startsWith(`${id}#`));
      const resolutions = (await client.hkeys(resolutionsKey(w.location))).filter((k) => k === id);
      return [...replays.map((k) => `replays ${k}`), ...resolutions.map((k) => `resolutions ${k}`)];
    },
    now: () => clock.now(),
    passTime: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await clock.advance(Math.max(0, Date.now() - clock.now()));
    },
    close: () => store.close(),
  };
}
