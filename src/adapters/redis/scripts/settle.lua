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
--
-- XACK comes first and doubles as the pending check (it acknowledges only a pending entry): one
-- command less than XPENDING then XACK. A script is not rolled back, so the entries are checked
-- before anything is written (an XADD that could fail after the XACK would lose the outcome); once
-- the XACK has written, Redis lets the rest of the script write even when memory runs out (a script
-- without flags is refused for lack of memory only before its first write).
local i = 5
for e = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[i])
  if not n or n < 2 or n % 2 == 1 or i + n > #ARGV then return redis.error_reply('ERR malformed settle arguments') end
  i = i + 1 + n
end
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
local function release()
  for k = 3, #KEYS do
    if redis.call('GET', KEYS[k]) == ARGV[#ARGV] then redis.call('DEL', KEYS[k]) end
  end
end
if #KEYS > 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  release()
  return 0
end
i = 5
for e = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[i])
  i = i + 1
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + n - 1))
  i = i + n
end
if #KEYS > 1 then
  local ttl = tonumber(ARGV[3])
  if ttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', ttl) else redis.call('SET', KEYS[2], '1') end
end
release()
return 1
