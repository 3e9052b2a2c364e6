-- Acknowledges a delivery without an outcome (a duplicate) and releases the task leases it holds.
--
-- KEYS[1] stream, KEYS[2...] task leases. ARGV: group, entry id, lease holder.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
for k = 2, #KEYS do
  if redis.call('GET', KEYS[k]) == ARGV[3] then redis.call('DEL', KEYS[k]) end
end
return 1
