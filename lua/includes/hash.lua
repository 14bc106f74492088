-- Reads a HASH into a table of field -> string; nil when the key does not exist.
local function readHash(key)
  local flat = redis.call("HGETALL", key)
  if #flat == 0 then return nil end
  local record = {}
  for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
  return record
end
