-- Commit one change to an event atomically. Nothing else writes an event's state.
--
-- KEYS[1]  meta hash (epoch, version)
-- KEYS[2]  change stream; entry ids are "<version>-0" so a position is a version
-- KEYS[3..] record hashes, one per record kind, in server.model.KINDS order
-- KEYS[#KEYS] the request's receipt key, only when ARGV[5] is not empty
-- ARGV[1]  epoch the caller saw          ARGV[2] version the caller saw
-- ARGV[3]  change record (msgpack)       ARGV[4] approximate stream length cap
-- ARGV[5]  the request's receipt (msgpack), or '' for a change without a request id
-- ARGV[6]  how long to keep the receipt, in seconds
-- ARGV[7..] triples: kind index (1-based), field, value (an empty value deletes the field)
--
-- Returns {"ok", new_version} or {"missing"} / {"epoch", epoch} /
-- {"duplicate", receipt} (the request was committed before: nothing is written) /
-- {"version", version}. A duplicate is found before the version is compared, so two
-- racing runs of one request give one commit and a duplicate, never a conflict.
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  return {'missing'}
end
if epoch ~= ARGV[1] then
  return {'epoch', epoch}
end
local receipt_key = nil
if ARGV[5] ~= '' then
  receipt_key = KEYS[#KEYS]
  local first = redis.call('GET', receipt_key)
  if first then
    return {'duplicate', first}
  end
end
local version = tonumber(redis.call('HGET', KEYS[1], 'version'))
if version ~= tonumber(ARGV[2]) then
  return {'version', tostring(version)}
end
for i = 7, #ARGV, 3 do
  local key = KEYS[2 + tonumber(ARGV[i])]
  if ARGV[i + 2] == '' then
    redis.call('HDEL', key, ARGV[i + 1])
  else
    redis.call('HSET', key, ARGV[i + 1], ARGV[i + 2])
  end
end
version = version + 1
redis.call('HSET', KEYS[1], 'version', version)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], version .. '-0', 'r', ARGV[3])
if receipt_key then
  redis.call('SET', receipt_key, ARGV[5], 'EX', ARGV[6])
end
return {'ok', tostring(version)}
