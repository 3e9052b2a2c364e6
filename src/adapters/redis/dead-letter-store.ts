import { Cluster } from 'ioredis';
import { Clock } from '../../application/ports/clock.port';
import { DeadLetterRecord, DeadLetterStore, DeadLetterStoreUnavailable, DeadLetterSummary, PurgeResult, ReplayRecord, ResolveRequest, ResolveResult } from '../../application/ports/dead-letter-store.port';
import { isDeadLetter, parseResolution, replayEntry, resolutionOf, summarizeDeadLetter } from '../flunq-wire/dead-letters';
import { DATA_KEPT_IN, DATA_OMITTED_BYTES, eventFromFields } from '../flunq-wire/stream-fields';
import { WORKFLOW_STREAM_GLOB } from '../flunq-wire/stream-keys';
import { rfc3339Seconds } from '../../domain/time-format';
import { connectOnce } from './one-shot-connection';
import { RedisClient, RedisConnectionSettings } from './redis-connection';

const WORKFLOW_STREAMS = WORKFLOW_STREAM_GLOB;
const RANGE_CHUNK = 1000;
/** Longest wait for Redis to accept the connection and answer a PING. */
const CONNECT_TIMEOUT_MS = 5000;

/** `<stream>:replays`: a hash with `<dead letter id>` → replay count and `<dead letter id>#<n>` → replay record (JSON). */
export function replaysKey(stream: string): string {
  return `${stream}:replays`;
}

/** `<stream>:resolutions`: a hash with `<dead letter id>` → resolution (JSON), written once (HSETNX). */
export function resolutionsKey(stream: string): string {
  return `${stream}:resolutions`;
}

/**
 * Dead letters on the workflow streams (`tenant:*:workflow:*:events`, entries of type
 * `io.flunq.task.dlq`), read with SCAN … TYPE stream and XRANGE in chunks. Replays are XADDed
 * to the same stream; the dead letter is never modified. Replay records and resolutions are kept
 * in hashes beside the stream (`replaysKey`, `resolutionsKey`); a purge XDELs the dead-letter entry
 * alone and deletes its fields of both hashes. These are separate keys (other hash slots on a
 * cluster): no command touches two of them at once.
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  private connection: Promise<RedisClient> | undefined;

  constructor(
    /** A connection, or how to open one on first use. */
    private readonly source: RedisClient | (() => Promise<RedisClient>),
    private readonly clock: Clock,
    /** Glob of the workflow streams to search (EXECUTOR_STREAM_PATTERN). */
    private readonly pattern = WORKFLOW_STREAMS,
  ) {}

  /**
   * A store for operator commands: it connects on first use, failing fast (no reconnection) with
   * DeadLetterStoreUnavailable and a one-line reason when Redis cannot be reached or refuses the password.
   */
  static open(settings: RedisConnectionSettings, clock: Clock, pattern = WORKFLOW_STREAMS): RedisDeadLetterStore {
    return new RedisDeadLetterStore(
      () =>
        connectOnce(settings, CONNECT_TIMEOUT_MS).catch((error: unknown) => {
          throw new DeadLetterStoreUnavailable(error instanceof Error ? error.message : String(error), { cause: error });
        }),
      clock,
      pattern,
    );
  }

  async list(streams?: readonly string[]): Promise<DeadLetterSummary[]> {
    const redis = await this.redis();
    const keys = streams && streams.length > 0 ? [...streams] : await this.workflowStreams();
    const now = this.clock.now();
    const out: DeadLetterSummary[] = [];
    for (const stream of keys) {
      const letters: [string, Record<string, string>][] = [];
      let start = '-';
      for (;;) {
        const chunk = await redis.xrange(stream, start, '+', 'COUNT', RANGE_CHUNK);
        for (const [id, flat] of chunk) {
          const fields = toFields(flat);
          if (isDeadLetter(fields)) letters.push([id, fields]);
        }
        if (chunk.length < RANGE_CHUNK) break;
        start = `(${chunk[chunk.length - 1]![0]}`;
      }
      if (letters.length === 0) continue;
      // The stream's replay counts and resolutions, in two reads rather than two per dead letter.
      const replays = await redis.hgetall(replaysKey(stream));
      const resolutions = await redis.hgetall(resolutionsKey(stream));
      for (const [id, fields] of letters) out.push(summarizeDeadLetter(stream, id, fields, now, { replays: Number(replays[id] ?? 0), resolution: parseResolution(resolutions[id]) }));
    }
    return out.sort((a, b) => b.ageMs - a.ageMs);
  }

  async get(stream: string, entryId: string): Promise<DeadLetterRecord | undefined> {
    const redis = await this.redis();
    const fields = await this.entry(stream, entryId);
    if (!fields || !isDeadLetter(fields)) return undefined;
    const all = await redis.hgetall(replaysKey(stream));
    const replays: ReplayRecord[] = [];
    const count = Number(all[entryId] ?? 0);
    for (let n = 1; n <= count; n++) {
      const raw = all[`${entryId}#${n}`];
      if (raw) replays.push(replayRecord(JSON.parse(raw) as Record<string, unknown>));
    }
    const resolution = parseResolution((await redis.hget(resolutionsKey(stream), entryId)) ?? undefined);
    return { summary: summarizeDeadLetter(stream, entryId, fields, this.clock.now(), { replays: count, resolution }), event: eventFromFields(fields), replays };
  }

  async replay(stream: string, entryId: string): Promise<ReplayRecord> {
    const redis = await this.redis();
    let fields = await this.entry(stream, entryId);
    if (!fields || !isDeadLetter(fields)) throw new Error(`${stream} ${entryId} is not a dead letter`);
    const keptIn = fields[DATA_KEPT_IN];
    if (fields['data'] === undefined && keptIn) {
      // The dead letter left out data too large to store twice: the request entry holds it.
      const request = await this.entry(stream, keptIn);
      if (request?.['data'] === undefined) throw new Error(`${stream} ${entryId}: its data was left out and the request entry ${keptIn} that held it is gone`);
      const { [DATA_KEPT_IN]: _in, [DATA_OMITTED_BYTES]: _bytes, ...rest } = fields;
      fields = { ...rest, data: request['data'] };
    }
    const key = replaysKey(stream);
    // The counter is taken first, so two operators replaying at once still get distinct ids.
    const n = await redis.hincrby(key, entryId, 1);
    const now = this.clock.now();
    const entry = replayEntry(stream, entryId, fields, n, now);
    const newId = await redis.xadd(stream, '*', ...Object.entries(entry).flat());
    const record: ReplayRecord = { location: stream, deadLetterId: entryId, replay: n, messageId: newId ?? '', eventId: entry['id'] ?? '', replayedAt: rfc3339Seconds(now) };
    await redis.hset(key, `${entryId}#${n}`, JSON.stringify(record));
    return record;
  }

  async resolve(stream: string, entryId: string, request: ResolveRequest): Promise<ResolveResult> {
    const redis = await this.redis();
    const fields = await this.entry(stream, entryId);
    if (!fields || !isDeadLetter(fields)) throw new Error(`${stream} ${entryId} is not a dead letter`);
    const resolution = resolutionOf(request, this.clock.now());
    // HSETNX: the first resolution stays, also when two operators resolve at once.
    if ((await redis.hsetnx(resolutionsKey(stream), entryId, JSON.stringify(resolution))) === 1) return { resolution, alreadyResolved: false };
    return { resolution: parseResolution((await redis.hget(resolutionsKey(stream), entryId)) ?? undefined) ?? resolution, alreadyResolved: true };
  }

  async purge(stream: string, entryId: string): Promise<PurgeResult> {
    const redis = await this.redis();
    const fields = await this.entry(stream, entryId);
    if (!fields || !isDeadLetter(fields)) throw new Error(`${stream} ${entryId} is not a dead letter`);
    // The entry first: a purge cut short leaves records without their dead letter, never the reverse.
    if ((await redis.xdel(stream, entryId)) === 0) throw new Error(`${stream} ${entryId} is not a dead letter (purged meanwhile)`);
    const count = Number((await redis.hget(replaysKey(stream), entryId)) ?? 0);
    await redis.hdel(replaysKey(stream), entryId, ...Array.from({ length: count }, (_, i) => `${entryId}#${i + 1}`));
    const resolution = (await redis.hdel(resolutionsKey(stream), entryId)) > 0;
    return { replayRecords: count, resolution };
  }

  async close(): Promise<void> {
    const connecting = typeof this.source === 'function' ? this.connection : Promise.resolve(this.source);
    const redis = await connecting?.catch(() => undefined);
    if (!redis) return;
    if (redis.status === 'end' || redis.status === 'wait') {
      redis.disconnect();
      return;
    }
    await redis.quit();
  }

  private redis(): Promise<RedisClient> {
    const source = this.source;
    if (typeof source !== 'function') return Promise.resolve(source);
    return (this.connection ??= source());
  }

  private async entry(stream: string, entryId: string): Promise<Record<string, string> | undefined> {
    const redis = await this.redis();
    const found = await redis.xrange(stream, entryId, entryId);
    const first = found[0];
    return first ? toFields(first[1]) : undefined;
  }

  private async workflowStreams(): Promise<string[]> {
    const redis = await this.redis();
    const keys = new Set<string>();
    // SCAN walks one node's keys: on a cluster every primary is scanned.
    for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', this.pattern, 'COUNT', 500, 'TYPE', 'stream');
        for (const k of batch) keys.add(k);
        cursor = next;
      } while (cursor !== '0');
    }
    return [...keys].sort();
  }
}

/** A stored replay record (records written before the port was transport-neutral name the stream and entry). */
function replayRecord(raw: Record<string, unknown>): ReplayRecord {
  const text = (key: string, old: string): string => {
    const value = raw[key] ?? raw[old];
    return typeof value === 'string' ? value : '';
  };
  return { location: text('location', 'stream'), deadLetterId: text('deadLetterId', 'deadLetterId'), replay: Number(raw['replay'] ?? 0), messageId: text('messageId', 'entryId'), eventId: text('eventId', 'eventId'), replayedAt: text('replayedAt', 'replayedAt') };
}

function toFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}
