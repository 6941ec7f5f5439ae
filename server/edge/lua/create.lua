-- Create an event's meta record with a fresh epoch at version 0.
--
-- KEYS[1] meta hash, KEYS[2..] every other key of the event (deleted when replacing)
-- ARGV[1] new epoch   ARGV[2] created_at_ms   ARGV[3] "1" to replace an existing event
--
-- Returns 1 when created, 0 when the event exists and ARGV[3] is not "1".
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[3] ~= '1' then
    return 0
  end
  redis.call('DEL', unpack(KEYS))
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'version', 0, 'created_at_ms', ARGV[2])
return 1
