-- What a task or worker event carries: the entity's fields (field -> string), packed as a MessagePack map.
-- Readers build labtasker v1's document from it (src/store/codecs.ts), so a script spends no time writing JSON;
-- a task's packed record is the very string stored for it (lua/includes/tasks.lua).
-- Every value must already be a string (ARGV values, literals, tostring() results): a Lua number would be packed as
-- a MessagePack number. Scripts keep to that rather than converting here, which cost a pass over every field.
local function packRecord(record)
  return cmsgpack.pack(record)
end
