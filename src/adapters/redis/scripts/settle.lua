-- Settles a delivery atomically on the request's stream (one Cluster slot: the stream and its task
-- keys).
--
-- KEYS[1] stream; KEYS[2 .. 1 + m] the task's marker keys (TaskKeys.markerKeys; m = ARGV[4], 0
-- without a task id); KEYS[2 + m ...] further task leases the delivery may hold (claim.lua).
-- ARGV: group, entry id, marker TTL in ms (0 = no expiry), m, number of entries, then for each entry
-- the number of field/value strings followed by them; with a task id, the delivery's lease holder
-- comes last.
--
-- Returns 1 when the entries were appended and the request acknowledged; 0 when the task already
-- had an outcome (a marker key holds `1`: only acknowledged, nothing appended, so a reclaim race
-- never publishes twice); -1 when the entry was no longer pending in the group (already settled).
-- In the first two cases the leases this delivery holds are released; a marker key that was its
-- lease (layout `single`) is overwritten with the outcome's `1`.
-- Like MULTI/EXEC it runs as one isolated step; unlike MULTI/EXEC it can make these checks.
--
-- XACK comes first and doubles as the pending check (it acknowledges only a pending entry): one
-- command less than XPENDING then XACK. A script is not rolled back, so the entries are checked
-- before anything is written (an XADD that could fail after the XACK would lose the outcome); once
-- the XACK has written, Redis lets the rest of the script write even when memory runs out (a script
-- without flags is refused for lack of memory only before its first write).
local function count(value)
  local n = tonumber(value)
  if n and n >= 0 and n == math.floor(n) then return n end
  return nil
end
local m, ttl, entries = count(ARGV[4]), count(ARGV[3]), count(ARGV[5])
if not m or not ttl or not entries or 1 + m > #KEYS or (#KEYS > 1 and #ARGV < 6) then return redis.error_reply('ERR malformed settle arguments') end
local i = 6
for e = 1, entries do
  local n = count(ARGV[i])
  if not n or n < 2 or n % 2 == 1 or i + n > #ARGV then return redis.error_reply('ERR malformed settle arguments') end
  i = i + 1 + n
end
-- With task keys, the holder comes after the entries.
if #KEYS > 1 and i ~= #ARGV then return redis.error_reply('ERR malformed settle arguments') end
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
local function release(from)
  for k = from, #KEYS do
    if redis.call('GET', KEYS[k]) == ARGV[#ARGV] then redis.call('DEL', KEYS[k]) end
  end
end
for k = 2, 1 + m do
  if redis.call('GET', KEYS[k]) == '1' then
    release(2)
    return 0
  end
end
i = 6
for e = 1, entries do
  local n = tonumber(ARGV[i])
  i = i + 1
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + n - 1))
  i = i + n
end
for k = 2, 1 + m do
  if ttl > 0 then redis.call('SET', KEYS[k], '1', 'PX', ttl) else redis.call('SET', KEYS[k], '1') end
end
release(2 + m)
return 1
