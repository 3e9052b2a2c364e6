import { after, before } from 'node:test';
import Redis from 'ioredis';
import { workflowStream } from '../../src/adapters/flunq-wire/stream-keys';
import { RedisTaskHistory } from '../../src/adapters/redis/task-history';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { xadd } from '../support/flunq';
import { startRedis, TestRedis } from '../support/redis-server';
import { describeTaskHistoryContract } from './task-history.contract';

let redis: TestRedis;
let client: Redis;
let n = 0;
const run = `${process.pid}-${Date.now()}`;
const written = new Set<string>();

before(async () => {
  redis = await startRedis();
  client = redis.client();
});
after(async () => {
  // A shared server (REDIS_URL) keeps no trace of the tests.
  if (written.size > 0) await client.del(...written);
  await redis.stop();
});

describeTaskHistoryContract('Redis', () => {
  const history = RedisTaskHistory.open({ url: redis.url }, new SystemClock());
  return Promise.resolve({
    history,
    newWorkflow: () => ({ tenant: `hist-${run}`, workflow: `wf_${++n}` }),
    append: async (w, fields) => {
      const location = workflowStream(w.tenant, w.workflow);
      written.add(location);
      return { location, messageId: await xadd(client, location, fields) };
    },
    close: () => history.close(),
  });
});
