/**
 * What the executor's per-task keys in a test Redis say, in every layout (REDIS_TASK_KEYS): a key
 * holding `1` marks a task with an outcome, any other value is a lease its holder has not released.
 */
import Redis from 'ioredis';

const TASK_KEY_PATTERNS = ['flunq:executor:task:*', 'flunq:executor:running:*', 'flunq:executor:settled:*'];

async function taskKeys(client: Redis, suffix: string): Promise<{ key: string; value: string | null }[]> {
  const keys = (await Promise.all(TASK_KEY_PATTERNS.map((p) => client.keys(`${p}${suffix}`)))).flat().sort();
  const values = keys.length > 0 ? await client.mget(...keys) : [];
  return keys.map((key, i) => ({ key, value: values[i] ?? null }));
}

/** Keys holding a lease (a holder, not `1`), of tasks whose key ends with `suffix` (default: every task). */
export async function heldLeases(client: Redis, suffix = ''): Promise<string[]> {
  return (await taskKeys(client, suffix)).filter((k) => k.value !== null && k.value !== '1').map((k) => k.key);
}

/** Keys marking an outcome (`1`) of tasks whose key ends with `suffix`. */
export async function outcomeMarkers(client: Redis, suffix: string): Promise<string[]> {
  return (await taskKeys(client, suffix)).filter((k) => k.value === '1').map((k) => k.key);
}
