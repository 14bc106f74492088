--@include generated
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events
-- A task's reported outcome (contract 3.4): success, failed (retry or fail, charging the worker), cancelled, or the
-- "running" extension that only merges a summary. `report` holds: taskId, status, workerId ("" for no fence),
-- summaryMode ("keep" | "merge" | "replace"), expectedRev ("" for none), and summary: for "merge" a list
-- {key, json, key, json, ...}, for "replace" the JSON text. `keys` is the script's KEYS (lua/includes/keys.lua);
-- `taskKey` is the reported task's. Returns nil when applied, else the error reply.
local function applyReport(keys, taskKey, now, report)
  local taskId, status, workerId = report.taskId, report.status, report.workerId
  local task = readTask(taskKey)
  if not task then return { E.TASK_NOT_FOUND } end
  if workerId ~= "" and task.worker_id ~= workerId then return { E.WORKER_MISMATCH, task.worker_id or "" } end
  if report.summaryMode == "replace" and report.expectedRev ~= "" and (task.rev or "0") ~= report.expectedRev then
    return { E.CONFLICT }
  end

  local old = task.status
  local new, retries = old, tonumber(task.retries)
  if status == "success" then
    if not canTransitionTask(old, "success") then return { E.INVALID_TRANSITION, old, "success" } end
    new = "success"
  elseif status == "failed" then
    if old ~= "failed" then
      if old ~= "running" then return { E.INVALID_TRANSITION, old, "" } end
      new, retries = taskStateAfterFailure(task)
    end
  elseif status == "cancelled" then
    new = "cancelled"
  elseif status == "running" then
    if old ~= "running" then return { E.INVALID_TRANSITION, old, "running" } end
  end

  local summary = task.summary
  if report.summaryMode == "merge" then
    for i = 1, #report.summary, 2 do summary = setTopLevelKey(summary, report.summary[i], report.summary[i + 1]) end
  elseif report.summaryMode == "replace" then
    summary = report.summary
  end

  if status == "failed" and old == "running" and task.worker_id then
    chargeWorkerFailure(keys, task.worker_id, now)
  end

  local changes = { status = new, retries = tostring(retries), last_modified = now, summary = summary }
  if status ~= "running" then changes.worker_id = false end
  local packed = writeTask(keys, taskKey, taskId, task, changes)

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
    taskId = argv[at], status = argv[at + 1], workerId = argv[at + 2],
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
