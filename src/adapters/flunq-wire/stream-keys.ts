/**
 * Where flunq keeps a workflow's events: one stream per workflow, `tenant:{tenant}:workflow:{workflow}:events`.
 * The one definition of that name for every backend that stores flunq events in streams.
 */
export const WORKFLOW_STREAM_GLOB = 'tenant:*:workflow:*:events';
export const WORKFLOW_STREAM_PATTERN = /^tenant:[^:]*:workflow:[^:]*:events$/;

/** The stream of a workflow's events, with `default` for empty parts (as the flunq worker names them). */
export function workflowStream(tenantId: string, workflowId: string): string {
  return `tenant:${tenantId || 'default'}:workflow:${workflowId || 'default'}:events`;
}

/** The tenant and workflow a workflow stream belongs to; undefined for a key of another form. */
export function parseWorkflowStream(key: string): { tenantId: string; workflowId: string } | undefined {
  const m = /^tenant:([^:]*):workflow:([^:]*):events$/.exec(key);
  return m ? { tenantId: m[1] || 'default', workflowId: m[2] || 'default' } : undefined;
}
