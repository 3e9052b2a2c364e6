import { JetStreamClient, JetStreamManager, JsMsg } from 'nats';
import { messageFromFields, natsHeadersOf } from '../../src/adapters/nats/cloudevent-headers';
import { workflowSubject } from '../../src/adapters/nats/subjects';
import { tenantConsumerPrefix } from '../../src/adapters/nats/tenant-consumers';
import { requestFields, RequestSpec } from './flunq';
import { streamMessages } from './nats-events';

/** Publishes a `task.requested` as the flunq worker would on NATS (binary CloudEvent, Nats-Msg-Id = ce-id); returns its subject. */
export async function publishRequest(js: JetStreamClient, prefix: string, spec: RequestSpec, fields: Record<string, string> = requestFields(spec)): Promise<string> {
  const subject = workflowSubject(prefix, spec.tenant, spec.workflow);
  const message = messageFromFields(fields);
  await js.publish(subject, new TextEncoder().encode(message.body ?? ''), { headers: natsHeadersOf(message, fields['id']) });
  return subject;
}

/** Messages of `type` on `filter`. */
export async function messagesOfType(js: JetStreamClient, stream: string, filter: string, type: string): Promise<JsMsg[]> {
  return (await streamMessages(js, stream, filter)).filter((m) => m.headers?.get('ce-type') === type);
}

/** Completions per task id on `filter`. */
export async function completionsByTask(js: JetStreamClient, stream: string, filter: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of await messagesOfType(js, stream, filter, 'io.flunq.task.completed')) {
    const id = m.headers?.get('ce-taskid') ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The deliveries not yet acknowledged and the messages not yet delivered of the group's consumer,
 * or of its per-tenant consumers (`<group>_t_…`, fair dispatch) added up (0 when none exists).
 */
export async function consumerBacklog(jsm: JetStreamManager, stream: string, durable = 'executor-service'): Promise<{ inFlight: number; undelivered: number }> {
  const total = { inFlight: 0, undelivered: 0 };
  try {
    for await (const info of jsm.consumers.list(stream)) {
      if (info.name !== durable && !info.name.startsWith(tenantConsumerPrefix(durable))) continue;
      total.inFlight += info.num_ack_pending;
      total.undelivered += info.num_pending;
    }
  } catch {
    // No stream yet.
  }
  return total;
}
