-- Claims tasks for deliveries (EntryStream.claimTask), in order: for each, a lease whose value names
-- the holder entry, so that the same entry delivered again takes it over and another entry does not.
--
-- Every key of a task reads the same way (TaskKeys): `1` means the task has an outcome, any other
-- value is the holder of its lease.
--
-- KEYS: for each task, its keys (ARGV[2] of them; all in one stream's Cluster slot), the first
-- ARGV[3] of them the ones its lease is written to.
-- ARGV: lease time in ms, keys per task, lease keys per task, then the holder of each task.
-- Returns one code per task: 2 when it already has an outcome, 0 when another holder's lease is
-- running, 1 when the lease was taken or renewed.
local out = {}
local n, w = tonumber(ARGV[2]), tonumber(ARGV[3])
-- Checked before anything is written: a bad count would loop for ever or write the wrong keys.
if not n or not w or n < 1 or n ~= math.floor(n) or w < 0 or w > n or w ~= math.floor(w) or #KEYS % n ~= 0 or #ARGV ~= 3 + #KEYS / n then
  return redis.error_reply('ERR malformed claim arguments')
end
for t = 1, #KEYS / n do
  local holder, base, code = ARGV[t + 3], (t - 1) * n, 1
  for k = base + 1, base + n do
    local current = redis.call('GET', KEYS[k])
    if current == '1' then
      code = 2
      break
    elseif current and current ~= holder then
      code = 0
    end
  end
  if code == 1 then
    for k = base + 1, base + w do redis.call('SET', KEYS[k], holder, 'PX', ARGV[1]) end
  end
  out[t] = code
end
return out
