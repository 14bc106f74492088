-- What a task or worker event carries: the entity's fields (field -> string), packed as a MessagePack map.
-- Readers build labtasker v1's document from it (src/store/codecs.ts), so a script spends no time writing JSON;
-- a task's packed record is the very string stored for it (lua/includes/tasks.lua).
local function packRecord(record)
  for field, value in pairs(record) do
    if type(value) ~= "string" then record[field] = tostring(value) end
  end
  return cmsgpack.pack(record)
end
