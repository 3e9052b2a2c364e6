-- Settles a delivery atomically on the request's stream (one Cluster slot: the stream, its
-- idempotency marker and its task leases).
--
-- KEYS[1] stream; KEYS[2] (optional) idempotency marker; KEYS[3...] (optional, with KEYS[2]) task
-- leases the delivery may hold (claim.lua).
-- ARGV: group, entry id, marker TTL in ms (0 = no expiry), number of entries, then for each entry
-- the number of field/value strings followed by them; with leases, the delivery's lease holder
-- comes last.
--
-- Returns 1 when the entries were appended and the request acknowledged; 0 when the task already
-- had an outcome (marker present: only acknowledged, nothing appended, so a reclaim race never
-- publishes twice); -1 when the entry was no longer pending in the group (already settled).
-- In the first two cases the leases this delivery holds are released.
-- Like MULTI/EXEC it runs as one isolated step; unlike MULTI/EXEC it can make these checks.
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
