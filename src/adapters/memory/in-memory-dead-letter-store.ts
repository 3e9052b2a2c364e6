import { Clock } from '../../application/ports/clock.port';
import { DeadLetterRecord, DeadLetterResolution, DeadLetterStore, DeadLetterSummary, PurgeResult, ReplayRecord, ResolveRequest, ResolveResult } from '../../application/ports/dead-letter-store.port';
import { rfc3339Seconds } from '../../domain/time-format';
import { DeadLetterMarks, isDeadLetter, replayEntry, resolutionOf, summarizeDeadLetter } from '../flunq-wire/dead-letters';
import { DATA_KEPT_IN, DATA_OMITTED_BYTES, eventFromFields } from '../flunq-wire/stream-fields';
import { InMemoryStreamBroker } from './in-memory-stream-broker';

/**
 * The dead letters of the in-process stream (embedded mode), with the Redis store's behaviour:
 * entries of type `io.flunq.task.dlq` on the broker's streams; a replay appends the original
 * request again next to it and leaves the dead letter in place. Replay records and resolutions
 * live in memory, like the stream itself; a purge removes the entry and both.
 */
export class InMemoryStreamDeadLetterStore implements DeadLetterStore {
  private readonly replays = new Map<string, ReplayRecord[]>();
  private readonly resolutions = new Map<string, DeadLetterResolution>();

  constructor(
    private readonly broker: InMemoryStreamBroker,
    private readonly clock: Clock,
  ) {}

  list(streams?: readonly string[]): Promise<DeadLetterSummary[]> {
    const now = this.clock.now();
    const out: DeadLetterSummary[] = [];
    for (const stream of streams && streams.length > 0 ? streams : this.broker.streamNames()) {
      for (const { id, fields } of this.broker.entries(stream)) if (isDeadLetter(fields)) out.push(summarizeDeadLetter(stream, id, fields, now, this.marks(stream, id)));
    }
    return Promise.resolve(out.sort((a, b) => b.ageMs - a.ageMs));
  }

  get(stream: string, entryId: string): Promise<DeadLetterRecord | undefined> {
    const fields = this.broker.entry(stream, entryId)?.fields;
    if (!fields || !isDeadLetter(fields)) return Promise.resolve(undefined);
    return Promise.resolve({ summary: summarizeDeadLetter(stream, entryId, fields, this.clock.now(), this.marks(stream, entryId)), event: eventFromFields(fields), replays: [...(this.replays.get(keyOf(stream, entryId)) ?? [])] });
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

  resolve(stream: string, entryId: string, request: ResolveRequest): Promise<ResolveResult> {
    if (!this.isDeadLetter(stream, entryId)) return Promise.reject(new Error(`${stream} ${entryId} is not a dead letter`));
    const key = keyOf(stream, entryId);
    const earlier = this.resolutions.get(key);
    if (earlier) return Promise.resolve({ resolution: earlier, alreadyResolved: true });
    const resolution = resolutionOf(request, this.clock.now());
    this.resolutions.set(key, resolution);
    return Promise.resolve({ resolution, alreadyResolved: false });
  }

  purge(stream: string, entryId: string): Promise<PurgeResult> {
    if (!this.isDeadLetter(stream, entryId)) return Promise.reject(new Error(`${stream} ${entryId} is not a dead letter`));
    this.broker.remove(stream, entryId);
    const key = keyOf(stream, entryId);
    const result: PurgeResult = { replayRecords: this.replays.get(key)?.length ?? 0, resolution: this.resolutions.has(key) };
    this.replays.delete(key);
    this.resolutions.delete(key);
    return Promise.resolve(result);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private isDeadLetter(stream: string, entryId: string): boolean {
    const fields = this.broker.entry(stream, entryId)?.fields;
    return fields !== undefined && isDeadLetter(fields);
  }

  private marks(stream: string, entryId: string): DeadLetterMarks {
    const key = keyOf(stream, entryId);
    return { replays: this.replays.get(key)?.length ?? 0, resolution: this.resolutions.get(key) };
  }
}

function keyOf(stream: string, entryId: string): string {
  return `${stream}\u0000${entryId}`;
}
