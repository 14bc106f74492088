--@include generated
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events
-- Fails running tasks whose deadline has passed, as v1's timeout handler does (contract 3.5): retry or fail the
-- task, charge its worker, clear worker_id, and write summary.labtasker_error. Handles at most `limit` tasks so
-- one call never blocks Redis for long; returns how many it handled.
local function expireDueTasks(root, queueKey, now, limit)
  local deadlines = K.deadlines(root)
  local due = redis.call("ZRANGEBYSCORE", deadlines, "-inf", "(" .. now, "LIMIT", 0, limit)
  for _, taskId in ipairs(due) do
    local task = readTask(K.task(root, taskId))
    if not task or task.status ~= "running" then
      redis.call("ZREM", deadlines, taskId)
    else
      local status, retries = taskStateAfterFailure(task)
      if task.worker_id then chargeWorkerFailure(root, queueKey, task.worker_id, now) end
      local packed = writeTask(root, taskId, task, {
        status = status,
        retries = tostring(retries),
        last_modified = tostring(now),
        worker_id = false,
        summary = setTopLevelKey(task.summary, TIMEOUT_SUMMARY_KEY, cjson.encode(TIMEOUT_SUMMARY_MESSAGE)),
      })
      appendEvent(root, queueKey, now, "task", taskId, "running", status, packed)
    end
  end
  return #due
end
