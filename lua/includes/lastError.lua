--@include generated
-- labtasker v2's `last_error`: the latest charged failure of a task, kept through a later success (only a requeue
-- clears it), whichever protocol charged it. Stored as JSON with the time in ms (src/broker/v2/view.ts reads it).

local RUN_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- The id of a v1 run (`r_` + 12), which is not stored: derived from the task's stored id and the run's start time, so
-- each run has its own and the same run always the same (v1's clients never see it; v2's can only be told it is
-- stale, as no v2 run holds a task a v1 fetch claimed).
local function v1RunId(taskId, task)
  local hex = redis.sha1hex(taskId .. ":" .. tostring(task[T_START_TIME] or 0))
  local chars = {}
  for group = 0, 2 do
    local bits = tonumber(string.sub(hex, group * 6 + 1, group * 6 + 6), 16)
    for shift = 18, 0, -6 do
      local index = math.floor(bits / 2 ^ shift) % 64 + 1
      chars[#chars + 1] = string.sub(RUN_ID_ALPHABET, index, index)
    end
  end
  return "r_" .. table.concat(chars)
end

-- The last_error of the failure of `task`'s run (the stored task, before the failure is written): its attempt and run
-- id are the failed run's.
local function lastErrorJson(taskId, task, type, message, now, traceback)
  return cjson.encode({
    type = type,
    message = message,
    traceback = traceback or cjson.null,
    occurred_at = tonumber(now),
    attempt = task[T_ATTEMPT] or 0,
    run_id = task[T_RUN_ID] or v1RunId(taskId, task),
  })
end
