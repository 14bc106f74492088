--@include generated
--@include tasks
-- Resumable tasks (docs/compat.md, "One failure rule"): a run that ends by reaching its deadline (task_timeout, or the
-- fetch's eta_max, which became the run's task_timeout) goes back to pending without using a retry while the task's
-- `timeouts` < `max_timeouts`, with one more timeout charged; once they are spent a timeout is a charged failure as
-- before. A heartbeat timeout (the worker vanished) is never a timeout: nothing says the job got anywhere.

-- Whether an overdue v1 run (`task` as stored, its deadline passed) expired by its task timeout rather than its
-- heartbeat: the deadline index holds the earlier of the two (lua/includes/tasks.lua taskDeadline), so it is a
-- timeout when the task timeout came first (or alone). A v2 run's lease is a heartbeat.
local function reachedTaskTimeout(task)
  if task[T_LEASE] then return false end
  local start, taskTimeout = task[T_START_TIME], task[T_TASK_TIMEOUT]
  if not start or not taskTimeout then return false end
  local timeout = start + taskTimeout * 1000
  local heartbeat, heartbeatTimeout = task[T_LAST_HEARTBEAT], task[T_HEARTBEAT_TIMEOUT]
  return not (heartbeat and heartbeatTimeout and heartbeat + tonumber(heartbeatTimeout) * 1000 < timeout)
end

-- The changes that put a timed-out run's task back to pending with one more timeout, or nil when its budget of
-- timeouts is spent (the caller then charges a failure). No retry, no worker failure, no last_error (v2's record of
-- the latest *charged* failure): the run is to be resumed, not blamed.
local function resumeAfterTimeout(task, now)
  local timeouts = taskField(task, T_TIMEOUTS)
  if timeouts >= taskField(task, T_MAX_TIMEOUTS) then return nil end
  return {
    [T_STATUS] = "pending",
    [T_TIMEOUTS] = timeouts + 1,
    [T_LAST_MODIFIED] = tonumber(now),
    [T_WORKER_ID] = false,
  }
end
