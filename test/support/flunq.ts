import { deadLetterFields } from '../../src/adapters/flunq-wire/stream-fields';
import { deadLetterReason } from '../../src/domain/flunq-events';
import Redis, { Cluster } from 'ioredis';

export function streamKey(tenant: string, workflow: string): string {
  return `tenant:${tenant}:workflow:${workflow}:events`;
}

export interface RequestSpec {
  tenant: string;
  workflow: string;
  execution?: string;
  taskId: string;
  taskName?: string;
  taskType?: string;
  parameters?: Record<string, unknown>;
  /** Raw `data` string (malformed events). */
  rawData?: string;
}

/** The stream fields of a `task.requested` entry exactly as the flunq worker writes them. */
export function requestFields(spec: RequestSpec): Record<string, string> {
  const execution = spec.execution ?? 'ex_9a2e51c0-77b1-40';
  const taskName = spec.taskName ?? 'prepare';
  const data = {
    task_id: spec.taskId,
    task_name: taskName,
    task_type: spec.taskType ?? 'set',
    tenant_id: spec.tenant,
    workflow_id: spec.workflow,
    execution_id: execution,
    input: { task_name: taskName, workflow_id: spec.workflow, timestamp: '2025-08-25T19:35:40Z' },
    context: { workflow_input: {}, variables: {} },
    config: { timeout: 300, retries: 3, parameters: spec.parameters ?? { set_data: { ok: true } } },
  };
  return {
    id: `task-requested-${spec.taskId}`,
    source: 'worker-service',
    specversion: '1.0',
    type: 'io.flunq.task.requested',
    time: '2025-08-25T19:35:40Z',
    workflowid: spec.workflow,
    executionid: execution,
    taskid: spec.taskId,
    tenantid: spec.tenant,
    data: spec.rawData ?? JSON.stringify(data),
  };
}

export async function xadd(client: Redis | Cluster, stream: string, fields: Record<string, string>): Promise<string> {
  return (await client.xadd(stream, '*', ...Object.entries(fields).flat())) as string;
}

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

export async function readStream(client: Redis | Cluster, stream: string): Promise<StreamEntry[]> {
  const rows = await client.xrange(stream, '-', '+');
  return rows.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    return { id, fields };
  });
}

export async function entriesOfType(client: Redis | Cluster, stream: string, type: string): Promise<StreamEntry[]> {
  return (await readStream(client, stream)).filter((e) => e.fields['type'] === type);
}

/** Pending entries of `group` on `stream` (0 when the stream or group does not exist). */
export async function pendingCount(client: Redis | Cluster, stream: string, group = 'executor-service'): Promise<number> {
  try {
    const summary = (await client.call('XPENDING', stream, group)) as [number, ...unknown[]];
    return Number(summary[0]);
  } catch {
    return 0;
  }
}

/** A dead-letter entry as the executor writes it for `original` (the flunq binding of stream entries). */
export function deadLetterEntry(original: Record<string, string>, reason: string, attempt: number): Record<string, string> {
  return deadLetterFields(original, deadLetterReason(reason), attempt);
}
