-- XINFO GROUPS of one stream, as a script so that a Redis Cluster client routes it by its key
-- (the command itself names no key a client can find). Used by the audit on a cluster only.
--
-- KEYS[1] stream. Returns the XINFO GROUPS reply.
return redis.call('XINFO', 'GROUPS', KEYS[1])
