--@include generated
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events
--@include lastError
--@include timeouts
-- Fails running tasks whose deadline has passed, as v1's timeout handler does (contract 3.5): retry or fail the
-- task, charge its worker, clear worker_id, and write summary.labtasker_error; a v2 run whose lease passed is charged
-- the same way (one failure rule for both protocols, docs/compat.md), its last_error a HeartbeatTimeout and its result
-- left alone. A run that reached its task timeout goes back to pending uncharged while the task has timeouts left
-- (lua/includes/timeouts.lua). Handles at most `limit` tasks so one call never blocks Redis for long; returns how many
-- it handled. `keys` is the script's KEYS (lua/includes/keys.lua).
-- Expires one running task whose deadline passed (`task` as stored); returns the packed task after it.
local function expireTask(keys, taskId, task, now)
  local resumed = reachedTaskTimeout(task) and resumeAfterTimeout(task, now)
  if resumed then
    -- The summary says why the run ended, as for any v1 timeout (the next claim clears it).
    resumed[T_SUMMARY] = setTopLevelKey(task[T_SUMMARY], TIMEOUT_SUMMARY_KEY, cjson.encode(TIMEOUT_SUMMARY_MESSAGE))
    local packed = writeTask(keys, taskId, task, resumed)
    appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", taskId, "running", "pending", packed)
    return packed
  end
  local status, retries = taskStateAfterFailure(taskField(task, T_RETRIES), taskField(task, T_MAX_RETRIES))
  local workerId = task[T_WORKER_ID]
  if workerId then chargeWorkerFailure(keys, workerId, now) end
  local changes = {
    [T_STATUS] = status,
    [T_RETRIES] = retries,
    [T_LAST_MODIFIED] = tonumber(now),
    [T_WORKER_ID] = false,
  }
  if task[T_LEASE] then
    -- A v2 run's lease: v2 leaves the result alone and says how the run ended.
    changes[T_RUN_END] = "heartbeat_expired"
    changes[T_LAST_ERROR] = lastErrorJson(taskId, task, HEARTBEAT_TIMEOUT_TYPE, LEASE_EXPIRED_MESSAGE, now)
  else
    changes[T_SUMMARY] = setTopLevelKey(task[T_SUMMARY], TIMEOUT_SUMMARY_KEY, cjson.encode(TIMEOUT_SUMMARY_MESSAGE))
    changes[T_LAST_ERROR] = lastErrorJson(taskId, task, HEARTBEAT_TIMEOUT_TYPE, TIMEOUT_SUMMARY_MESSAGE, now)
  end
  local packed = writeTask(keys, taskId, task, changes)
  appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", taskId, "running", status, packed)
  return packed
end

local function expireDueTasks(keys, now, limit)
  local deadlines = keys[DEADLINES_KEY]
  local due = redis.call("ZRANGEBYSCORE", deadlines, "-inf", "(" .. now, "LIMIT", 0, limit)
  for _, taskId in ipairs(due) do
    local task = readTask(keys[TASKS_KEY], taskId)
    if not task or task[T_STATUS] ~= "running" then
      redis.call("ZREM", deadlines, taskId)
    else
      expireTask(keys, taskId, task, now)
    end
  end
  return #due
end
