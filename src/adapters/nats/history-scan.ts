/**
 * The history scan of a new task bucket: a consumer group that starts on a stream that already
 * holds outcomes (another group ran those tasks, or the bucket's entries expired) would otherwise
 * run every request of the history again. Before the group's first read, every completion and dead
 * letter in the stream marks its task settled in the bucket, as the Redis adapter's history scan
 * does for a new consumer group.
 *
 * Reads headers only (an ordered consumer, `headers_only`), up to the stream's last message when
 * the scan began. A scan cut short (the process died) is done again at the next start: the bucket
 * holds `history.scanning` until the scan ends.
 */
import { JetStreamClient, JetStreamManager } from 'nats';
import { TASK_COMPLETED, TASK_DLQ } from '../../domain/flunq-event';
import { taskKeyOf } from '../flunq-wire/stream-fields';
import { fieldsFromMessage, headerPairs } from './cloudevent-headers';
import { parseWorkflowSubject, workflowSubjects } from './subjects';
import { taskBucketKey, TaskClaims } from './task-claims';

/** Marks settled the tasks whose outcome is in the stream; the number marked. */
export async function settleFromHistory(js: JetStreamClient, jsm: JetStreamManager, layout: { stream: string; subjectPrefix: string }, claims: TaskClaims): Promise<number> {
  const info = await jsm.streams.info(layout.stream);
  const last = info.state.last_seq;
  if (info.state.messages === 0 || last === 0) return 0;
  const consumer = await js.consumers.get(layout.stream, { filterSubjects: workflowSubjects(layout.subjectPrefix), headers_only: true });
  const messages = await consumer.consume({ max_messages: 512 });
  let settled = 0;
  try {
    for await (const m of messages) {
      const fields = fieldsFromMessage(headerPairs(m.headers), '');
      if (fields['type'] === TASK_COMPLETED || fields['type'] === TASK_DLQ) {
        const key = taskKeyOf(fields);
        const scope = parseWorkflowSubject(layout.subjectPrefix, m.subject);
        if (key && scope) {
          await claims.settle(taskBucketKey(scope, key));
          settled++;
        }
      }
      if (m.seq >= last) break;
    }
  } finally {
    messages.stop();
  }
  return settled;
}
