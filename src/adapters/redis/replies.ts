/**
 * Redis replies and errors as the stream parts need them (pure functions, no state).
 */

export type Fields = Record<string, string>;

/** An entry read from a stream; null fields: the entry was deleted while pending. */
export interface RawEntry {
  id: string;
  fields: Fields | null;
}

/** Replies of a pipeline, one `[error, reply]` per command. */
export type PipelineReplies = [Error | null, unknown][] | null;

export function toFields(flat: string[]): Fields {
  const fields: Fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

/** XREADGROUP reply → entries per stream (null fields: the entry was deleted while pending). */
export function parseRead(reply: unknown): Map<string, RawEntry[]> {
  const out = new Map<string, RawEntry[]>();
  if (!Array.isArray(reply)) return out;
  for (const item of reply as [string, [string, string[] | null][]][]) {
    const [stream, entries] = item;
    out.set(
      stream,
      entries.map(([id, flat]) => ({ id, fields: flat ? toFields(flat) : null })),
    );
  }
  return out;
}

/** A flat `[name, value, …]` reply (XINFO) as an object. */
export function pairsToObject(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}

/** The stream id just before `id` (XREADGROUP with an id returns the entries after it). */
export function idBefore(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  if (BigInt(ms) > 0n) return `${BigInt(ms) - 1n}-18446744073709551615`;
  return '0-0';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isNoGroup(error: unknown): boolean {
  const m = messageOf(error);
  return m.includes('NOGROUP') || m.includes('no such key');
}

/** Errors of the connection (retry later), as opposed to errors about a key (skip the key). */
export function isConnectionError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ReplyError') return false;
  return true;
}
