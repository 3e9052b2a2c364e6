import { connect, JetStreamClient, JetStreamManager, KV, NatsConnection, StorageType, StoredMsg } from 'nats';
import { Clock } from '../../application/ports/clock.port';
import { DeadLetterRecord, DeadLetterResolution, DeadLetterStore, DeadLetterStoreUnavailable, DeadLetterSummary, PurgeResult, ReplayRecord, ResolveRequest, ResolveResult } from '../../application/ports/dead-letter-store.port';
import { TASK_DLQ } from '../../domain/flunq-event';
import { rfc3339Seconds } from '../../domain/time-format';
import { DeadLetterMarks, parseResolution, replayEntry, resolutionOf, summarizeDeadLetter } from '../flunq-wire/dead-letters';
import { DATA_KEPT_IN, DATA_OMITTED_BYTES, eventFromFields } from '../flunq-wire/stream-fields';
import { bodyText, fieldsFromMessage, headerPairs, messageFromFields, natsHeadersOf } from './cloudevent-headers';
import { connectionOptions, connectionProblem, NatsConnectionSettings, serversOf } from './connection';
import { workflowSubjects } from './subjects';

export interface NatsDeadLetterStoreOptions {
  connection: NatsConnectionSettings;
  /** The JetStream stream of the workflow events (NATS_STREAM). */
  stream: string;
  subjectPrefix: string;
}

/** Longest wait for the server to accept the connection, ms. */
const CONNECT_TIMEOUT_MS = 5000;
/** Messages read per pull while scanning the stream. */
const SCAN_BATCH = 1000;

interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * The replay log's bucket: `<stream>_REPLAYS`, one key `<dead letter sequence>.<n>` per replay and
 * `<dead letter sequence>.resolved` for its resolution, kept until the dead letter is purged.
 */
export function replayBucketName(stream: string): string {
  return `${stream.replace(/[^A-Za-z0-9_-]/g, '_')}_REPLAYS`;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found|no message/i.test(error.message);
}

/** The key of a dead letter's resolution in the replay log. */
function resolvedKey(seq: number | string): string {
  return `${seq}.resolved`;
}

function isConflict(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}

/**
 * Dead letters on the JetStream stream of the workflow events: messages whose `ce-type` is
 * `io.flunq.task.dlq`, found by reading the workflow subjects with an ordered consumer (the
 * server cannot filter on headers). `location` is the workflow subject and `messageId` the stream
 * sequence. Replays are published on the same subject; the dead letter is never modified; each
 * replay, and a resolution, is recorded in a key-value bucket (see `replayBucketName`). A purge
 * deletes the dead letter's message by its sequence, and its keys in that bucket.
 */
export class NatsDeadLetterStore implements DeadLetterStore {
  private connecting: Promise<Connected> | undefined;

  constructor(
    private readonly options: NatsDeadLetterStoreOptions,
    private readonly clock: Clock,
  ) {}

  async list(locations?: readonly string[]): Promise<DeadLetterSummary[]> {
    const { js } = await this.connected();
    const filters = locations && locations.length > 0 ? [...locations] : [workflowSubjects(this.options.subjectPrefix)];
    const now = this.clock.now();
    const out: DeadLetterSummary[] = [];
    const marks = await this.allMarks();
    for (const filter of filters) {
      const consumer = await js.consumers.get(this.options.stream, { filterSubjects: filter });
      for (;;) {
        const batch = await consumer.fetch({ max_messages: SCAN_BATCH, expires: 1000 });
        let last: { pending: number } | undefined;
        for await (const m of batch) {
          last = m.info;
          if (m.headers?.get('ce-type') !== TASK_DLQ) continue;
          const fields = fieldsFromMessage(headerPairs(m.headers), bodyText(m.data));
          const summary = summarizeDeadLetter(m.subject, String(m.seq), fields, now, await marks(m.seq));
          out.push({ ...summary, ageMs: Math.max(0, now - Math.floor(m.info.timestampNanos / 1e6)) });
        }
        if (!last || last.pending === 0) break;
      }
    }
    return out.sort((a, b) => b.ageMs - a.ageMs);
  }

  async get(location: string, messageId: string): Promise<DeadLetterRecord | undefined> {
    const stored = await this.deadLetter(location, messageId);
    if (!stored) return undefined;
    const fields = fieldsFromMessage(headerPairs(stored.header), bodyText(stored.data));
    const replays: ReplayRecord[] = [];
    const kv = await this.replayLog();
    const numbers = await this.replayNumbers(kv, stored.seq);
    for (const n of numbers) {
      const entry = await kv.get(`${stored.seq}.${n}`);
      if (entry && entry.operation === 'PUT' && entry.value.length > 0) replays.push(JSON.parse(bodyText(entry.value)) as ReplayRecord);
    }
    const summary = summarizeDeadLetter(location, messageId, fields, this.clock.now(), { replays: numbers.length, resolution: await this.resolutionOf(kv, stored.seq) });
    return { summary: { ...summary, ageMs: Math.max(0, this.clock.now() - stored.time.getTime()) }, event: eventFromFields(fields), replays };
  }

  async replay(location: string, messageId: string): Promise<ReplayRecord> {
    const stored = await this.deadLetter(location, messageId);
    if (!stored) throw new Error(`${location} ${messageId} is not a dead letter`);
    let fields = fieldsFromMessage(headerPairs(stored.header), bodyText(stored.data));
    let body = stored.data;
    const keptIn = fields[DATA_KEPT_IN];
    if (fields['data'] === undefined && keptIn) {
      // The dead letter left out data too large to store twice: the request message holds it.
      const request = await this.message(keptIn);
      if (!request || request.subject !== location) throw new Error(`${location} ${messageId}: its data was left out and the request message ${keptIn} that held it is gone`);
      const { [DATA_KEPT_IN]: _in, [DATA_OMITTED_BYTES]: _bytes, ...rest } = fields;
      fields = { ...rest, data: bodyText(request.data) };
      body = request.data;
    }
    const kv = await this.replayLog();
    const now = this.clock.now();
    // The replay number is reserved first (create fails when taken), so two operators replaying at once get distinct ids.
    let n = (await this.replayNumbers(kv, stored.seq)).reduce((a, b) => Math.max(a, b), 0) + 1;
    for (;;) {
      try {
        await kv.create(`${stored.seq}.${n}`, new Uint8Array(0));
        break;
      } catch (error) {
        if (!isConflict(error)) throw error;
        n++;
      }
    }
    const entry = replayEntry(location, messageId, fields, n, now);
    const message = messageFromFields(entry);
    const { js } = await this.connected();
    const ack = await js.publish(location, message.body === undefined ? new Uint8Array(0) : body, { headers: natsHeadersOf(message, entry['id']) });
    const record: ReplayRecord = { location, deadLetterId: messageId, replay: n, messageId: String(ack.seq), eventId: entry['id'] ?? '', replayedAt: rfc3339Seconds(now) };
    await kv.put(`${stored.seq}.${n}`, new TextEncoder().encode(JSON.stringify(record)));
    return record;
  }

  async resolve(location: string, messageId: string, request: ResolveRequest): Promise<ResolveResult> {
    const stored = await this.deadLetter(location, messageId);
    if (!stored) throw new Error(`${location} ${messageId} is not a dead letter`);
    const kv = await this.replayLog();
    const resolution = resolutionOf(request, this.clock.now());
    try {
      // create fails when the key holds a value: the first resolution stays.
      await kv.create(resolvedKey(stored.seq), new TextEncoder().encode(JSON.stringify(resolution)));
      return { resolution, alreadyResolved: false };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return { resolution: (await this.resolutionOf(kv, stored.seq)) ?? resolution, alreadyResolved: true };
  }

  async purge(location: string, messageId: string): Promise<PurgeResult> {
    const stored = await this.deadLetter(location, messageId);
    if (!stored) throw new Error(`${location} ${messageId} is not a dead letter`);
    const { jsm } = await this.connected();
    // The message first: a purge cut short leaves records without their dead letter, never the reverse.
    try {
      if (!(await jsm.streams.deleteMessage(this.options.stream, stored.seq))) throw new Error(`${location} ${messageId} is not a dead letter (purged meanwhile)`);
    } catch (error) {
      if (isNotFound(error)) throw new Error(`${location} ${messageId} is not a dead letter (purged meanwhile)`);
      throw error;
    }
    const kv = await this.replayLog();
    const numbers = await this.replayNumbers(kv, stored.seq);
    for (const n of numbers) await kv.purge(`${stored.seq}.${n}`);
    const resolved = (await this.resolutionOf(kv, stored.seq)) !== undefined;
    if (resolved) await kv.purge(resolvedKey(stored.seq));
    return { replayRecords: numbers.length, resolution: resolved };
  }

  async close(): Promise<void> {
    const connected = await this.connecting?.catch(() => undefined);
    if (connected && !connected.nc.isClosed()) await connected.nc.close();
  }

  private connected(): Promise<Connected> {
    return (this.connecting ??= (async () => {
      const { connection } = this.options;
      let nc: NatsConnection;
      try {
        nc = await connect({ ...connectionOptions(connection, 'flunq-executor-dlq'), reconnect: false, timeout: CONNECT_TIMEOUT_MS });
      } catch (error) {
        throw new DeadLetterStoreUnavailable(`cannot connect to NATS at ${serversOf(connection.url)} (NATS_URL): ${connectionProblem(error)}`, { cause: error });
      }
      try {
        return { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
      } catch (error) {
        await nc.close();
        throw new DeadLetterStoreUnavailable(`NATS at ${serversOf(connection.url)} (NATS_URL) has no JetStream: ${error instanceof Error ? error.message : 'unknown error'}`, { cause: error });
      }
    })());
  }

  private async message(sequence: string): Promise<StoredMsg | undefined> {
    const seq = Number(sequence);
    if (!Number.isSafeInteger(seq) || seq <= 0) return undefined;
    const { jsm } = await this.connected();
    try {
      return await jsm.streams.getMessage(this.options.stream, { seq });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async deadLetter(location: string, messageId: string): Promise<StoredMsg | undefined> {
    const stored = await this.message(messageId);
    if (!stored || stored.subject !== location || stored.header?.get('ce-type') !== TASK_DLQ) return undefined;
    return stored;
  }

  private async replayLog(): Promise<KV> {
    const { js } = await this.connected();
    return js.views.kv(replayBucketName(this.options.stream), { history: 1, storage: StorageType.File });
  }

  /** The replay log when it exists (a listing does not create it), else undefined. */
  private async replayLogIfAny(): Promise<KV | undefined> {
    const { js, jsm } = await this.connected();
    const name = replayBucketName(this.options.stream);
    try {
      await jsm.streams.info(`KV_${name}`);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return js.views.kv(name, { bindOnly: true });
  }

  /**
   * The marks of every dead letter with any, read from the replay log's keys at once (a listing
   * then reads one value per resolved dead letter, not one key listing per dead letter).
   */
  private async allMarks(): Promise<(seq: number) => Promise<DeadLetterMarks>> {
    const kv = await this.replayLogIfAny();
    const replays = new Map<number, number>();
    const resolved = new Set<number>();
    if (kv) {
      for await (const key of await kv.keys()) {
        const dot = key.indexOf('.');
        const seq = Number(key.slice(0, dot));
        if (dot <= 0 || !Number.isSafeInteger(seq)) continue;
        const rest = key.slice(dot + 1);
        if (rest === 'resolved') resolved.add(seq);
        else if (/^[1-9]\d*$/.test(rest)) replays.set(seq, (replays.get(seq) ?? 0) + 1);
      }
    }
    return async (seq) => ({ replays: replays.get(seq) ?? 0, resolution: kv && resolved.has(seq) ? await this.resolutionOf(kv, seq) : undefined });
  }

  private async resolutionOf(kv: KV, seq: number): Promise<DeadLetterResolution | undefined> {
    const entry = await kv.get(resolvedKey(seq));
    return entry && entry.operation === 'PUT' ? parseResolution(bodyText(entry.value)) : undefined;
  }

  /** The replay numbers recorded for the dead letter at `seq`, ascending. */
  private async replayNumbers(kv: KV, seq: number): Promise<number[]> {
    const numbers: number[] = [];
    for await (const key of await kv.keys(`${seq}.*`)) numbers.push(Number(key.slice(String(seq).length + 1)));
    return numbers.filter((x) => Number.isSafeInteger(x) && x > 0).sort((a, b) => a - b);
  }
}
