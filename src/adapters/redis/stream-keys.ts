/** Key helpers for the stream adapter (pure functions, no Redis). */

/** Redis glob (`*`, `?`, `[…]`, `\x`) as an anchored regular expression, for filtering notifications. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i] as string}`;
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('^')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/** The part of a key that Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/**
 * The hash tag that puts our keys in the stream's Cluster slot: the stream's own hash tag. A tag
 * cannot contain `}`, so for a stream hashed whole whose name contains one (no valid `{…}` of its
 * own, e.g. a tenant id with a `}`) a short stand-in with the same slot is used instead.
 */
export function slotTagOf(stream: string): string {
  const tag = hashTagOf(stream);
  return tag.includes('}') ? tagForSlot(slotOf(stream)) : tag;
}

const slotTags = new Map<number, string>();

/** The first `slot-<n>` (n in base 36) that hashes to `slot` (about 16,000 tries, once per slot). */
function tagForSlot(slot: number): string {
  let tag = slotTags.get(slot);
  for (let n = 0; tag === undefined; n++) if (slotOf(`slot-${n.toString(36)}`) === slot) tag = `slot-${n.toString(36)}`;
  slotTags.set(slot, tag);
  return tag;
}

/**
 * The idempotency marker of a task: `flunq:executor:settled:{<hash tag of the stream>}:<taskId>`.
 * It hashes to the stream's own Cluster slot, so it can be written in the same atomic step as the
 * completion, and it does not name the consumer group, so a new or renamed group sees it too.
 */
export function settledMarkerKey(stream: string, taskId: string): string {
  return `flunq:executor:settled:{${slotTagOf(stream)}}:${taskId}`;
}

/**
 * The lease of a task being run (EntryStream.claimTask): `flunq:executor:running:{<hash tag of the
 * stream>}:<key>`, in the stream's Cluster slot like the idempotency marker, so the settle script
 * releases it in the same atomic step as the outcome.
 */
export function runningLeaseKey(stream: string, key: string): string {
  return `flunq:executor:running:{${slotTagOf(stream)}}:${key}`;
}

/**
 * The one key of a task (task key layout `single`, see TaskKeys): `flunq:executor:task:{<hash tag of
 * the stream>}:<key>`, holding the holder of its lease while it runs and `1` once it has an outcome.
 */
export function taskStateKey(stream: string, key: string): string {
  return `flunq:executor:task:{${slotTagOf(stream)}}:${key}`;
}

/**
 * Who holds a task lease: the entry (its consumer group, stream and id), not the consumer, so the
 * same entry delivered again takes the lease over. The group is length-prefixed and the id (which
 * has no `|`) comes last, so different holders never read the same.
 */
export function leaseHolder(group: string, stream: string, entryId: string): string {
  return `${group.length}:${group}|${stream}|${entryId}`;
}

/**
 * Set while the history of a stream is being scanned for outcomes on behalf of a group this process
 * created (ADR 0002); same Cluster slot as the stream. Deleted when the scan is done.
 */
export function historyScanKey(stream: string, group: string): string {
  return `flunq:executor:history:{${slotTagOf(stream)}}:${group}`;
}

/** CRC16 (XMODEM) table, as Redis Cluster uses for key slots. */
const CRC16 = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The Redis Cluster slot of a key (0..16383): CRC16 of its hash tag modulo 16384. */
export function slotOf(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTagOf(key), 'utf8')) crc = ((crc << 8) & 0xffff) ^ (CRC16[((crc >> 8) ^ byte) & 0xff] as number);
  return crc & 0x3fff;
}

/** Streams grouped by Cluster slot, in their order (a multi-stream XREADGROUP must stay in one slot). */
export function bySlot(streams: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const stream of streams) {
    const slot = slotOf(stream);
    const group = groups.get(slot);
    if (group) group.push(stream);
    else groups.set(slot, [stream]);
  }
  return [...groups.values()];
}
