-- A task id as Redis keeps it (src/store/taskIds.ts): a UUID's 16 bytes, which keep index members and the fields of
-- the HASH of tasks short. Scripts get ids in ARGV as text, as the store passes them: a UUID in lowercase, or "-" for
-- an id that names no task. Converting here costs Redis about 0.4 µs an id; passing the bytes made the client write
-- each such command as bytes rather than text, 5 to 10 µs more a call.
local function storedTaskId(id)
  if #id ~= 36 then return id end
  local sub = string.sub
  return struct.pack(">I4I2I2I2I6", tonumber(sub(id, 1, 8), 16), tonumber(sub(id, 10, 13), 16),
    tonumber(sub(id, 15, 18), 16), tonumber(sub(id, 20, 23), 16), tonumber(sub(id, 25, 36), 16))
end
