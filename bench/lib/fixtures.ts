import Redis from 'ioredis';

export const GROUP = 'executor-service';
export const TENANT = 'bench';

export function streamKey(workflowId: string, tenant = TENANT): string {
  return `tenant:${tenant}:workflow:${workflowId}:events`;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The flat fields of one `io.flunq.task.requested` entry for a `set` task, exactly as the
 * flunq worker writes them (docs/protocol.md, sections 2 and 3), as an XADD argument list.
 */
export function setRequestFields(workflowId: string, executionId: string, taskId: string, nowMs = Date.now()): string[] {
  const time = rfc3339(nowMs);
  const data = {
    task_id: taskId,
    task_name: 'initialize',
    task_type: 'set',
    tenant_id: TENANT,
    workflow_id: workflowId,
    execution_id: executionId,
    input: { task_name: 'initialize', workflow_id: workflowId, timestamp: time },
    context: {
      workflow_input: { petId: 42, owner: 'alice' },
      variables: { petId: 42, owner: 'alice' },
    },
    config: { timeout: 300, retries: 3, parameters: { set_data: { status: 'initialized', count: 3 } } },
  };
  return [
    'id', `task-requested-${taskId}`,
    'source', 'worker-service',
    'specversion', '1.0',
    'type', 'io.flunq.task.requested',
    'time', time,
    'workflowid', workflowId,
    'executionid', executionId,
    'taskid', taskId,
    'tenantid', TENANT,
    'data', JSON.stringify(data),
  ];
}

/** A `call` task request (legacy HTTP shape, docs/protocol.md section 3) against `url`. */
/** A `call: grpc` request (SayHello of the test greeter.proto, read from GRPC_PROTO_DIR) with the worker's exact fields. */
export function grpcCallRequestFields(workflowId: string, executionId: string, taskId: string, port: number, nowMs = Date.now()): string[] {
  const fields = callRequestFields(workflowId, executionId, taskId, 'http://unused', nowMs);
  const data = JSON.parse(fields[fields.length - 1] ?? '{}') as { task_name: string; config: { parameters: unknown } };
  data.task_name = 'greet';
  data.config.parameters = {
    call: 'grpc',
    with: { proto: { endpoint: 'greeter.proto' }, service: { name: 'flunq.test.Greeter', host: '127.0.0.1', port }, method: 'SayHello', arguments: { person: { name: 'Ada', id: 42 } } },
  };
  fields[fields.length - 1] = JSON.stringify(data);
  return fields;
}

export function callRequestFields(workflowId: string, executionId: string, taskId: string, url: string, nowMs = Date.now()): string[] {
  const time = rfc3339(nowMs);
  const data = {
    task_id: taskId,
    task_name: 'fetchPet',
    task_type: 'call',
    tenant_id: TENANT,
    workflow_id: workflowId,
    execution_id: executionId,
    input: { task_name: 'fetchPet', workflow_id: workflowId, timestamp: time },
    context: { workflow_input: { petId: 42 }, variables: { petId: 42 } },
    config: { timeout: 300, retries: 3, parameters: { call_type: 'http', method: 'GET', url } },
  };
  return [
    'id', `task-requested-${taskId}`,
    'source', 'worker-service',
    'specversion', '1.0',
    'type', 'io.flunq.task.requested',
    'time', time,
    'workflowid', workflowId,
    'executionid', executionId,
    'taskid', taskId,
    'tenantid', TENANT,
    'data', JSON.stringify(data),
  ];
}

/** Unique task ids per run, in the worker's `task-<name>-<unix nanos>` form. */
export function taskIdFactory(name = 'initialize'): () => string {
  const base = BigInt(Date.now()) * 1_000_000n;
  let n = 0n;
  return () => `task-${name}-${base + n++}`;
}

/** XADDs `count` entries to `stream` in pipelined chunks; `fields(i)` builds entry i. */
export async function preload(redis: Redis, stream: string | ((i: number) => string), count: number, fields: (i: number) => string[], chunk = 2000): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      pipeline.xadd(typeof stream === 'string' ? stream : stream(i), '*', ...fields(i));
    }
    await pipeline.exec();
  }
}
