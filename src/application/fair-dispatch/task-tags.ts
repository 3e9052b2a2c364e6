import { priorityOf } from '../../domain/fair-share';
import { FlunqEvent } from '../../domain/flunq-event';
import { TaskTags } from './fair-scheduler';

/** The extension attribute a request's priority travels in (1 most urgent … 5 least; default 3). */
export const PRIORITY_EXTENSION = 'priority';

/**
 * Who a request belongs to and how urgent it is, from its event attributes: `tenantid` and
 * `workflowid` (`default` when empty, as flunq names such workflows' places) and the `priority`
 * extension. Cheap: `data` is not parsed.
 */
export function tagsOf(event: Pick<FlunqEvent, 'tenantId' | 'workflowId' | 'extensions'>): TaskTags {
  return { tenantId: event.tenantId || 'default', workflowId: event.workflowId || 'default', priority: priorityOf(event.extensions[PRIORITY_EXTENSION]) };
}
