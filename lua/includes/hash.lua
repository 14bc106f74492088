-- Reads a HASH into a table of field -> string; nil when the key does not exist.
local function readHash(key)
  local flat = redis.call("HGETALL", key)
  if #flat == 0 then return nil end
  local record = {}
  for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
  return record
end

-- The table as a flat field/value list, the shape scripts return records in.
local function flattenRecord(record)
  local flat = {}
  for field, value in pairs(record) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  return flat
end
