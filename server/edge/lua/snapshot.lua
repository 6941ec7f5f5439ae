-- Read an event's position and records at one instant (what MULTI/EXEC gives a single
-- Redis; redis-py's asyncio cluster client runs every command queued in a transaction
-- through a thread of its own, blocking the event loop for milliseconds).
--
-- KEYS[1] meta hash (epoch, version), KEYS[2..] record hashes in server.model.KINDS order
--
-- Returns {{epoch, version}, fields of KEYS[2] (flat: field, value, ...), ...}.
local out = {redis.call('HMGET', KEYS[1], 'epoch', 'version')}
for i = 2, #KEYS do
  out[i] = redis.call('HGETALL', KEYS[i])
end
return out
