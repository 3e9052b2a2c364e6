-- Records a revalidation of a cached document: the entry's metadata and time to live are replaced
-- only while it still holds the content the revalidation was about (another replica may have
-- stored a newer document meanwhile, which must not get the older one's metadata).
-- KEYS[1] the entry (a hash: sha256, meta, body)
-- ARGV[1] the expected sha256, ARGV[2] the new metadata (JSON), ARGV[3] the time to live in ms
-- Returns 1 when updated, 0 when the entry holds other content, -1 when there is none.
local current = redis.call('HGET', KEYS[1], 'sha256')
if not current then
  return -1
end
if current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'meta', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
