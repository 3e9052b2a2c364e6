import { headers, JetStreamClient } from 'nats';

export interface NatsIdealLoopOptions {
  js: JetStreamClient;
  stream: string;
  durable: string;
  /** Messages asked for per pull. */
  batch: number;
  onTask(): void;
  signal: AbortSignal;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The least a JetStream consumer must do for the flunq set task, with none of the executor's
 * guarantees beyond publish-before-ack: pull a batch, parse each request, publish a completion with
 * its `Nats-Msg-Id` on the request's subject, acknowledge (no claim, no recorded outcome, no
 * confirmation of the acknowledgement). The executor is measured against it.
 */
export async function runNatsIdealLoop(options: NatsIdealLoopOptions): Promise<void> {
  const { js, signal } = options;
  const consumer = await js.consumers.get(options.stream, options.durable);
  while (!signal.aborted) {
    const messages = await consumer.fetch({ max_messages: options.batch, expires: 1000 });
    const work: Promise<void>[] = [];
    for await (const m of messages) {
      const h = m.headers;
      if (h?.get('ce-type') !== 'io.flunq.task.requested') {
        m.ack();
        continue;
      }
      work.push(
        (async () => {
          const data = JSON.parse(decoder.decode(m.data)) as { task_id: string; task_name: string; tenant_id: string; input: unknown; config: { parameters: { set_data: unknown } } };
          const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
          const completion = { task_id: data.task_id, task_name: data.task_name, tenant_id: data.tenant_id, success: true, output: data.config.parameters.set_data, error: '', duration_ms: 0, executed_at: now, attempt: 1, data: { input: data.input, output: data.config.parameters.set_data } };
          const out = headers();
          out.set('ce-id', `task-completed-${data.task_id}`);
          out.set('ce-source', 'executor-service');
          out.set('ce-specversion', '1.0');
          out.set('ce-type', 'io.flunq.task.completed');
          out.set('ce-time', now);
          for (const name of ['ce-workflowid', 'ce-executionid', 'ce-taskid', 'ce-tenantid']) out.set(name, h.get(name));
          out.set('content-type', 'application/json');
          out.set('Nats-Msg-Id', `task-completed-${data.task_id}`);
          await js.publish(m.subject, encoder.encode(JSON.stringify(completion)), { headers: out });
          m.ack();
          options.onTask();
        })(),
      );
    }
    await Promise.all(work);
  }
}
