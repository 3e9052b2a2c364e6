/**
 * Atomic settlement on the request's stream (one Cluster slot: the stream, its marker and its leases).
 *
 * KEYS[1] stream, KEYS[2] (optional) idempotency marker, KEYS[3…] (optional, with KEYS[2]) task
 * leases the delivery may hold (CLAIM_SCRIPT).
 * ARGV: group, entry id, marker TTL in ms (0 = no expiry), number of entries, then for each
 * entry the number of field/value strings followed by them; with leases, the delivery's lease
 * holder comes last.
 *
 * Returns 1 when the entries were appended and the request acknowledged; 0 when the task already
 * had an outcome (marker present: only acknowledged, nothing appended, so a reclaim race never
 * publishes twice); -1 when the entry was no longer pending in the group (already settled).
 * In the first two cases the lease is released if this delivery holds it.
 * Like MULTI/EXEC it runs as one isolated step; unlike MULTI/EXEC it can make these checks.
 */
export const SETTLE_SCRIPT = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #pending == 0 then return -1 end
local function release()
  for k = 3, #KEYS do
    if redis.call('GET', KEYS[k]) == ARGV[#ARGV] then redis.call('DEL', KEYS[k]) end
  end
end
if #KEYS > 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  release()
  return 0
end
local i = 5
for e = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[i])
  i = i + 1
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + n - 1))
  i = i + n
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if #KEYS > 1 then
  local ttl = tonumber(ARGV[3])
  if ttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', ttl) else redis.call('SET', KEYS[2], '1') end
end
release()
return 1
`;

/**
 * Creates the consumer group at `0` (MKSTREAM) and remembers, in the same atomic step, that the
 * history of the stream must be scanned for outcomes before the group reads it (ADR 0002).
 *
 * KEYS[1] stream, KEYS[2] history-scan flag (same Cluster slot). ARGV[1] group.
 * Returns 0 when the group already existed (nothing to do), 1 when this call created it, 2 when it
 * existed but the history scan of a previous run was not finished (crash): scan again.
 * Errors other than BUSYGROUP (WRONGTYPE, …) are returned as errors.
 */
export const CREATE_GROUP_SCRIPT = `
local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(r) == 'table' and r.err then
  if string.find(r.err, 'BUSYGROUP', 1, true) then
    if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
    return 0
  end
  return r
end
redis.call('SET', KEYS[2], '1')
return 1
`;

/**
 * Resets the idle time of a pending entry only while this consumer still owns it, and renews the
 * entry's task leases (CLAIM_SCRIPT) that it still holds.
 *
 * KEYS[1] stream, KEYS[2…] (optional) task leases. ARGV: group, consumer, entry id, and with
 * leases the lease holder and the lease time in ms.
 * Returns 1 when renewed, 0 when the entry is no longer pending (settled), -1 when another
 * consumer owns it now (it was reclaimed; a plain XCLAIM would steal it back and run it twice).
 */
export const KEEP_ALIVE_SCRIPT = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
for k = 2, #KEYS do
  if redis.call('GET', KEYS[k]) == ARGV[4] then redis.call('PEXPIRE', KEYS[k], ARGV[5]) end
end
return 1
`;

/**
 * Claims tasks for deliveries (TaskSource.claimTask), in order: for each, a lease whose value names
 * the holder entry, so that the same entry delivered again takes it over and another entry does not.
 *
 * KEYS: for each task, its lease then its idempotency marker (all in one stream's Cluster slot).
 * ARGV: lease time in ms, then the holder of each task.
 * Returns one code per task: 2 when it already has an outcome, 0 when another holder's lease is
 * running, 1 when the lease was taken or renewed.
 */
export const CLAIM_SCRIPT = `
local out = {}
for i = 1, #KEYS / 2 do
  local lease, holder = KEYS[2 * i - 1], ARGV[i + 1]
  if redis.call('EXISTS', KEYS[2 * i]) == 1 then
    out[i] = 2
  else
    local current = redis.call('GET', lease)
    if current and current ~= holder then
      out[i] = 0
    else
      redis.call('SET', lease, holder, 'PX', ARGV[1])
      out[i] = 1
    end
  end
end
return out
`;

/**
 * Acknowledges a delivery without an outcome (a duplicate) and releases the task leases it holds.
 *
 * KEYS[1] stream, KEYS[2…] task leases. ARGV: group, entry id, lease holder.
 */
export const RELEASE_ACK_SCRIPT = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
for k = 2, #KEYS do
  if redis.call('GET', KEYS[k]) == ARGV[3] then redis.call('DEL', KEYS[k]) end
end
return 1
`;

/**
 * Most fields one appended entry may have. The settle script passes an entry to XADD with Lua's
 * `unpack`, which fails beyond about 8,000 values (Lua C stack); 3,000 fields (6,000 values) stays
 * well below it.
 */
export const MAX_ENTRY_FIELDS = 3000;

/** Fields always kept when an entry must be cut down: the protocol's fields and those of a dead letter. */
const ESSENTIAL_FIELDS = ['id', 'source', 'specversion', 'type', 'time', 'workflowid', 'executionid', 'taskid', 'tenantid', 'data', 'reason', 'attempt'];

/**
 * An entry with at most MAX_ENTRY_FIELDS fields. Only absurd entries are affected (a dead letter
 * copying a request with thousands of fields): the essential fields are kept, then other fields in
 * order until the limit, and `droppedfields` tells how many were left out.
 */
export function boundedEntry(entry: Readonly<Record<string, string>>): Record<string, string> {
  const names = Object.keys(entry);
  if (names.length <= MAX_ENTRY_FIELDS) return { ...entry };
  const out: Record<string, string> = {};
  for (const name of ESSENTIAL_FIELDS) {
    const value = entry[name];
    if (value !== undefined) out[name] = value;
  }
  let kept = Object.keys(out).length;
  const room = MAX_ENTRY_FIELDS - 1; // one for droppedfields
  for (const name of names) {
    if (kept >= room) break;
    if (!(name in out)) {
      out[name] = entry[name] as string;
      kept++;
    }
  }
  out['droppedfields'] = String(names.length - kept);
  return out;
}
