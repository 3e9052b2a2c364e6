-- One rate-limit bucket (GCRA), atomically: the key holds the bucket's theoretical arrival time
-- (TAT, epoch ms as text) and expires once that time has passed, when the bucket is as good as new.
-- The same arithmetic as gcraReserve and gcraPushBack in src/domain/rate-limit.ts.
--
-- KEYS[1] the bucket. ARGV: mode (`reserve`, `push` or `release`), now (epoch ms), emission interval (ms,
-- may be fractional), burst, and for `reserve` the longest wait allowed (ms), for `push` the time
-- before which no slot may be taken (epoch ms).
-- Returns for `reserve` {1, wait ms} when the slot is taken, {0, ms until one would be free} when
-- not (nothing written); for `push` and `release` (one granted slot given back, as gcraRelease) {1, 0}.
local now = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local tolerance = (tonumber(ARGV[4]) - 1) * interval
local stored = redis.call('GET', KEYS[1])
local tat = stored and tonumber(stored) or nil
local function store(value)
  redis.call('SET', KEYS[1], string.format('%.3f', value), 'PX', math.max(1, math.ceil(value - now)))
end
if ARGV[1] == 'push' then
  local blocked = tonumber(ARGV[5]) + tolerance
  if tat == nil or tat < blocked then store(blocked) end
  return {1, 0}
end
if ARGV[1] == 'release' then
  if tat ~= nil then
    if tat - interval > now then store(tat - interval) else redis.call('DEL', KEYS[1]) end
  end
  return {1, 0}
end
local base = math.max(tat or now, now)
local wait = math.max(0, base - tolerance - now)
if wait > tonumber(ARGV[5]) then return {0, math.ceil(wait)} end
store(base + interval)
return {1, math.ceil(wait)}
