-- Give an event a new epoch because Redis went back in time (it lost its last writes: an
-- OS crash under appendfsync everysec, a restored backup), so that everything anyone holds
-- of the old epoch is dropped and reloaded. Only from the state the caller found, so that
-- two processes noticing the loss at once mint one epoch between them, not two.
--
-- KEYS[1] meta hash (epoch, version)
-- ARGV[1] the epoch the caller found   ARGV[2] the version it found   ARGV[3] the new epoch
--
-- Returns 1 when renewed, 0 when the event is no longer at (ARGV[1], ARGV[2]).
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'version')
if meta[1] ~= ARGV[1] or tonumber(meta[2]) ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[3])
return 1
