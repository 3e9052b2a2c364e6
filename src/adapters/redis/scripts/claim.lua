-- Claims tasks for deliveries (EntryStream.claimTask), in order: for each, a lease whose value names
-- the holder entry, so that the same entry delivered again takes it over and another entry does not.
--
-- KEYS: for each task, its lease then its idempotency marker (all in one stream's Cluster slot).
-- ARGV: lease time in ms, then the holder of each task.
-- Returns one code per task: 2 when it already has an outcome, 0 when another holder's lease is
-- running, 1 when the lease was taken or renewed.
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
