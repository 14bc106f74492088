--@include generated
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events
--@include ids
--@include lastError
--@include timeouts
-- A task's reported outcome (contract 3.4): success, failed (retry or fail, charging the worker), cancelled, or the
-- "running" extension that only merges a summary; "timed_out" (the loop's `timed_out: true` beside failed) is a
-- failure that goes back to pending uncharged while the task has timeouts left (lua/includes/timeouts.lua), else a
-- failed report. `report` holds: taskId, status, workerId ("" for no fence),
-- summaryMode ("keep" | "merge" | "replace"), expectedRev ("" for none), and summary: for "merge" a list
-- {key, json, key, json, ...}, for "replace" the JSON text. `keys` is the script's KEYS (lua/includes/keys.lua).
-- Returns nil when applied, else the error reply.
local function applyReport(keys, now, report)
  local taskId, status, workerId = report.taskId, report.status, report.workerId
  local timedOut = status == "timed_out"
  if timedOut then status = "failed" end
  local task = readTask(keys[TASKS_KEY], taskId)
  if not task then return { E.TASK_NOT_FOUND } end
  local holder = task[T_WORKER_ID]
  if workerId ~= "" and holder ~= workerId then return { E.WORKER_MISMATCH, holder or "" } end
  local expectedRev = report.expectedRev
  if report.summaryMode == "replace" and expectedRev ~= "" and tostring(taskField(task, T_REV)) ~= expectedRev then
    return { E.CONFLICT }
  end

  local old = task[T_STATUS]
  local new, retries = old, taskField(task, T_RETRIES)
  local resumed
  if status == "success" then
    if not canTransitionTask(old, "success") then return { E.INVALID_TRANSITION, old, "success" } end
    new = "success"
  elseif status == "failed" then
    if old ~= "failed" then
      if old ~= "running" then return { E.INVALID_TRANSITION, old, "" } end
      resumed = timedOut and resumeAfterTimeout(task, now)
      if resumed then
        new = "pending"
      else
        new, retries = taskStateAfterFailure(retries, taskField(task, T_MAX_RETRIES))
      end
    end
  elseif status == "cancelled" then
    new = "cancelled"
  elseif status == "running" then
    if old ~= "running" then return { E.INVALID_TRANSITION, old, "running" } end
  end

  local summary = task[T_SUMMARY]
  if report.summaryMode == "merge" then
    for i = 1, #report.summary, 2 do summary = setTopLevelKey(summary, report.summary[i], report.summary[i + 1]) end
  elseif report.summaryMode == "replace" then
    summary = report.summary
  end

  if status == "failed" and old == "running" and holder and not resumed then
    chargeWorkerFailure(keys, holder, now)
  end

  local changes = resumed or {}
  changes[T_STATUS] = new
  changes[T_RETRIES] = fieldChange(T_RETRIES, retries)
  changes[T_LAST_MODIFIED] = tonumber(now)
  changes[T_SUMMARY] = fieldChange(T_SUMMARY, summary or false)
  if status == "failed" and old == "running" and not resumed then
    changes[T_LAST_ERROR] = lastErrorJson(taskId, task, V1_FAILURE_TYPE, V1_FAILURE_MESSAGE, now)
  end
  if status ~= "running" then changes[T_WORKER_ID] = false end
  local packed = writeTask(keys, taskId, task, changes)

  if status ~= "running" and not (status == "failed" and old == "failed") then
    appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", taskId, old, new, packed)
  else
    touchTasks(keys[QUEUE_KEY])
  end
  return nil
end

-- The report fields of argv from position `at` on, in the order above; the summary takes the rest of argv.
local function reportFromArgv(argv, at)
  local report = {
    taskId = storedTaskId(argv[at]), status = argv[at + 1], workerId = argv[at + 2],
    summaryMode = argv[at + 3], expectedRev = argv[at + 4],
  }
  if report.summaryMode == "replace" then
    report.summary = argv[at + 5]
  else
    report.summary = {}
    for i = at + 5, #argv do report.summary[#report.summary + 1] = argv[i] end
  end
  return report
end
