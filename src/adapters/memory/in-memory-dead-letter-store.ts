import { Clock } from '../../application/ports/clock.port';
import { DeadLetterRecord, DeadLetterStore, DeadLetterSummary, ReplayRecord } from '../../application/ports/dead-letter-store.port';
import { rfc3339Seconds } from '../../domain/time-format';
import { isDeadLetter, replayEntry, summarizeDeadLetter } from '../flunq-wire/dead-letters';
import { DATA_KEPT_IN, DATA_OMITTED_BYTES, eventFromFields } from '../flunq-wire/stream-fields';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/**
 * The dead letters of the in-process stream (embedded mode), with the Redis store's behaviour:
 * entries of type `io.flunq.task.dlq` on the broker's streams; a replay appends the original
 * request again next to it and leaves the dead letter in place. Replay records live in memory,
 * like the stream itself.
 */
export class InMemoryStreamDeadLetterStore implements DeadLetterStore {
  private readonly replays = new Map<string, ReplayRecord[]>();

  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
  ) {}

  list(streams?: readonly string[]): Promise<DeadLetterSummary[]> {
    const now = this.clock.now();
    const out: DeadLetterSummary[] = [];
    for (const stream of streams && streams.length > 0 ? streams : this.broker.streamNames()) {
      for (const { id, fields } of this.broker.entries(stream)) if (isDeadLetter(fields)) out.push(summarizeDeadLetter(stream, id, fields, now));
    }
    return Promise.resolve(out.sort((a, b) => b.ageMs - a.ageMs));
  }

  get(stream: string, entryId: string): Promise<DeadLetterRecord | undefined> {
    const fields = this.broker.entry(stream, entryId)?.fields;
    if (!fields || !isDeadLetter(fields)) return Promise.resolve(undefined);
    return Promise.resolve({ summary: summarizeDeadLetter(stream, entryId, fields, this.clock.now()), event: eventFromFields(fields), replays: [...(this.replays.get(keyOf(stream, entryId)) ?? [])] });
  }

  replay(stream: string, entryId: string): Promise<ReplayRecord> {
    let fields = this.broker.entry(stream, entryId)?.fields;
    if (!fields || !isDeadLetter(fields)) return Promise.reject(new Error(`${stream} ${entryId} is not a dead letter`));
    const keptIn = fields[DATA_KEPT_IN];
    if (fields['data'] === undefined && keptIn) {
      // The dead letter left out data too large to store twice: the request entry holds it.
      const data = this.broker.entry(stream, keptIn)?.fields['data'];
      if (data === undefined) return Promise.reject(new Error(`${stream} ${entryId}: its data was left out and the request entry ${keptIn} that held it is gone`));
      const { [DATA_KEPT_IN]: _in, [DATA_OMITTED_BYTES]: _bytes, ...rest } = fields;
      fields = { ...rest, data };
    }
    const done = this.replays.get(keyOf(stream, entryId)) ?? [];
    const n = done.length + 1;
    const now = this.clock.now();
    const entry = replayEntry(stream, entryId, fields, n, now);
    const messageId = this.broker.append(stream, entry);
    const record: ReplayRecord = { location: stream, deadLetterId: entryId, replay: n, messageId, eventId: entry['id'] ?? '', replayedAt: rfc3339Seconds(now) };
    this.replays.set(keyOf(stream, entryId), [...done, record]);
    return Promise.resolve(record);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function keyOf(stream: string, entryId: string): string {
  return `${stream}\u0000${entryId}`;
}
