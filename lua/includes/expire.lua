--@include generated
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events
-- Fails running tasks whose deadline has passed, as v1's timeout handler does (contract 3.5): retry or fail the
-- task, charge its worker, clear worker_id, and write summary.labtasker_error. Handles at most `limit` tasks so
-- one call never blocks Redis for long; returns how many it handled. `keys` is the script's KEYS
-- (lua/includes/keys.lua).
local function expireDueTasks(keys, now, limit)
  local deadlines = keys[DEADLINES_KEY]
  local due = redis.call("ZRANGEBYSCORE", deadlines, "-inf", "(" .. now, "LIMIT", 0, limit)
  for _, taskId in ipairs(due) do
    local task = readTask(keys[TASKS_KEY], taskId)
    if not task or task[T_STATUS] ~= "running" then
      redis.call("ZREM", deadlines, taskId)
    else
      local status, retries = taskStateAfterFailure(taskField(task, T_RETRIES), taskField(task, T_MAX_RETRIES))
      local workerId = task[T_WORKER_ID]
      if workerId then chargeWorkerFailure(keys, workerId, now) end
      local packed = writeTask(keys, taskId, task, {
        [T_STATUS] = status,
        [T_RETRIES] = retries,
        [T_LAST_MODIFIED] = tonumber(now),
        [T_WORKER_ID] = false,
        [T_SUMMARY] = setTopLevelKey(task[T_SUMMARY], TIMEOUT_SUMMARY_KEY, cjson.encode(TIMEOUT_SUMMARY_MESSAGE)),
      })
      appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", taskId, "running", status, packed)
    end
  end
  return #due
end
