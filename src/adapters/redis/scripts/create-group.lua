-- Creates the consumer group at `0` (MKSTREAM) and remembers, in the same atomic step, that the
-- history of the stream must be scanned for outcomes before the group reads it (ADR 0002).
--
-- KEYS[1] stream, KEYS[2] history-scan flag (same Cluster slot). ARGV[1] group.
-- Returns 0 when the group already existed (nothing to do), 1 when this call created it, 2 when it
-- existed but the history scan of a previous run was not finished (crash): scan again.
-- Errors other than BUSYGROUP (WRONGTYPE, ...) are returned as errors.
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
