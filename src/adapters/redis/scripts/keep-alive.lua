-- Resets the idle time of a pending entry only while this consumer still owns it, and renews the
-- entry's task leases (claim.lua) that it still holds.
--
-- KEYS[1] stream, KEYS[2...] (optional) task leases. ARGV: group, consumer, entry id, and with
-- leases the lease holder and the lease time in ms.
-- Returns 1 when renewed, 0 when the entry is no longer pending (settled), -1 when another
-- consumer owns it now (it was reclaimed; a plain XCLAIM would steal it back and run it twice).
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return 0 end
if p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
for k = 2, #KEYS do
  if redis.call('GET', KEYS[k]) == ARGV[4] then redis.call('PEXPIRE', KEYS[k], ARGV[5]) end
end
return 1
