-- What a worker event carries: the worker's fields (field -> string), packed as a MessagePack map. Readers build
-- labtasker v1's document from it (src/store/codecs.ts), so a script spends no time writing JSON. A task event
-- carries the task's packed record, the very string stored for it (lua/includes/tasks.lua).
-- Every value must already be a string (ARGV values, literals, tostring() results): a Lua number would be packed as
-- a MessagePack number. Scripts keep to that rather than converting here, which cost a pass over every field.
local function packRecord(record)
  return cmsgpack.pack(record)
end
