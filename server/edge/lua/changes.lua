-- Read an event's position and its change records after a version at one instant (see
-- snapshot.lua for why not MULTI/EXEC).
--
-- KEYS[1] meta hash (epoch, version)   KEYS[2] change stream
-- ARGV[1] the first entry id to return ("<version>-0")   ARGV[2] how many at most, or ''
--
-- Returns {{epoch, version}, entries (each {id, {field, value, ...}})}.
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'version')
local entries
if ARGV[2] == '' then
  entries = redis.call('XRANGE', KEYS[2], ARGV[1], '+')
else
  entries = redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])
end
return {meta, entries}
