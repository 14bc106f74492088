--@include generated
-- Task logs (src/broker/logs.ts): the keys of one task's log are its HASH (`K.taskLog`) and one STRING per attempt
-- (`K.taskLogData`, id `<task_id>:<attempt>`); the queue's index lists the tasks with a log and its counter holds the
-- bytes they keep.

-- Deletes one task's log (every attempt, its HASH and its index entry) and takes its bytes off the queue's total.
local function dropTaskLog(root, index, total, taskId)
  local meta = K.taskLog(root, taskId)
  local fields = redis.call("HMGET", meta, "attempts", "bytes")
  for attempt = 1, tonumber(fields[1] or "0") do redis.call("DEL", K.taskLogData(root, taskId .. ":" .. attempt)) end
  local bytes = tonumber(fields[2] or "0")
  if bytes ~= 0 then redis.call("DECRBY", total, bytes) end
  redis.call("DEL", meta)
  redis.call("ZREM", index, taskId)
end
