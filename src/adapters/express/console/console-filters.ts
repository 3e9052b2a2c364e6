import { ACTIVITY_STATUSES, ActivityStatus, OutcomeFilter } from '../../../application/activity/task-activity';
import { UNRESOLVED } from '../../../application/operations/dead-letter-filter';
import { DEAD_LETTER_STATUSES, DeadLetterStatus, DeadLetterSummary } from '../../../application/ports/dead-letter-store.port';

type Query = Record<string, unknown>;

/** One query parameter as a trimmed string of at most 200 characters ('' when absent or repeated). */
export function param(query: Query, name: string): string {
  const value = query[name];
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

function limitOf(query: Query, max: number): number {
  const n = Number(param(query, 'limit'));
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : max;
}

/** `?workflow=&task=&type=`, the part every filter of the console shares. */
function taskParams(query: Query): { workflowId?: string; taskId?: string; taskType?: string } {
  const out: { workflowId?: string; taskId?: string; taskType?: string } = {};
  const workflow = param(query, 'workflow');
  const task = param(query, 'task');
  const type = param(query, 'type');
  if (workflow) out.workflowId = workflow;
  if (task) out.taskId = task;
  if (type) out.taskType = type;
  return out;
}

/** `?workflow=&task=&type=&status=&limit=` as an outcome filter; an unknown status matches nothing. */
export function outcomeFilter(query: Query, maxLimit = 200): OutcomeFilter | { problem: string } {
  const status = param(query, 'status');
  if (status && !ACTIVITY_STATUSES.includes(status as ActivityStatus)) return { problem: `status must be one of ${ACTIVITY_STATUSES.join(', ')}` };
  const filter: OutcomeFilter = { ...taskParams(query), limit: limitOf(query, maxLimit) };
  if (status) filter.status = status as ActivityStatus;
  return filter;
}

export interface DeadLetterFilter {
  workflowId?: string;
  /** Substring of the task id. */
  taskId?: string;
  taskType?: string;
  /** Substring of the reason (an error code, say). */
  reason?: string;
  /** The statuses shown; empty: any. */
  statuses: DeadLetterStatus[];
  limit: number;
}

/** The values of `?status=` for dead letters: a status, `unresolved` (open or replayed, the default) or `any`. */
export const DEAD_LETTER_STATUS_PARAMS = ['unresolved', ...DEAD_LETTER_STATUSES, 'any'] as const;

/** `?workflow=&task=&type=&reason=&status=&limit=` for dead letters; an unknown status is a problem. */
export function deadLetterFilter(query: Query, maxLimit = 500): DeadLetterFilter | { problem: string } {
  const status = param(query, 'status') || 'unresolved';
  if (!(DEAD_LETTER_STATUS_PARAMS as readonly string[]).includes(status)) return { problem: `status must be one of ${DEAD_LETTER_STATUS_PARAMS.join(', ')}` };
  const statuses = status === 'unresolved' ? [...UNRESOLVED] : status === 'any' ? [] : [status as DeadLetterStatus];
  const filter: DeadLetterFilter = { ...taskParams(query), statuses, limit: limitOf(query, maxLimit) };
  const reason = param(query, 'reason');
  if (reason) filter.reason = reason;
  return filter;
}

/** The matching dead letters, newest first, at most `filter.limit`; `total` counts every match. */
export function filterDeadLetters<T extends DeadLetterSummary>(letters: readonly T[], filter: DeadLetterFilter): { total: number; items: T[] } {
  const matching = letters.filter(
    (l) =>
      (!filter.workflowId || l.workflowId === filter.workflowId) &&
      (!filter.taskType || l.taskType === filter.taskType) &&
      (!filter.taskId || l.taskId.includes(filter.taskId)) &&
      (!filter.reason || l.reason.toLowerCase().includes(filter.reason.toLowerCase())) &&
      (filter.statuses.length === 0 || filter.statuses.includes(l.status)),
  );
  const newestFirst = [...matching].sort((a, b) => a.ageMs - b.ageMs);
  return { total: matching.length, items: newestFirst.slice(0, filter.limit) };
}

/** A write's body (replay, resolve, purge): `{items: [{location, messageId}]}`, at most `max` items. */
export function replayItems(body: unknown, max = 100, action = 'replay'): { location: string; messageId: string }[] | { problem: string } {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items) || items.length === 0) return { problem: 'body must be {"items": [{"location": "…", "messageId": "…"}, …]}' };
  if (items.length > max) return { problem: `at most ${max} dead letters per ${action}` };
  const out: { location: string; messageId: string }[] = [];
  for (const item of items as unknown[]) {
    const { location, messageId } = (item ?? {}) as { location?: unknown; messageId?: unknown };
    if (typeof location !== 'string' || typeof messageId !== 'string' || !location || !messageId || location.length > 1000 || messageId.length > 200) {
      return { problem: 'each item needs a location and a messageId (strings)' };
    }
    out.push({ location, messageId });
  }
  return out;
}

/** A resolve request's body: the items (as for a replay) and an optional `note` (a string). */
export function resolveBody(body: unknown, max = 100): { items: { location: string; messageId: string }[]; note?: string } | { problem: string } {
  const items = replayItems(body, max, 'resolve');
  if ('problem' in items) return items;
  const note = (body as { note?: unknown }).note;
  if (note !== undefined && note !== null && typeof note !== 'string') return { problem: 'note must be a string' };
  return typeof note === 'string' && note.trim() ? { items, note } : { items };
}
