--@include generated
--@include tasks
--@include documents
--@include events
-- The changes every claim makes, by either protocol (docs/compat.md): a new run, one more attempt charged, the
-- previous run's progress, end time and route gone (the latest v2 run that ended stays known, as v2 keeps it). Only
-- fields the task has are cleared, so a v1 task's first claim writes what it did before v2, plus its attempt. A v2
-- run's id is stored (its reports name it); a v1 run's is not: no v1 client knows it, and the one place it shows, a
-- failure's last_error, derives it (lua/includes/lastError.lua).
local function newRunChanges(task, changes, runId)
  if runId then changes[T_RUN_ID] = runId end
  changes[T_ATTEMPT] = taskField(task, T_ATTEMPT) + 1
  if task[T_PROGRESS] then changes[T_PROGRESS] = false end
  if task[T_PROGRESS_UPDATED_AT] then changes[T_PROGRESS_UPDATED_AT] = false end
  if task[T_PROGRESS_ATTEMPT] then changes[T_PROGRESS_ATTEMPT] = false end
  if task[T_FINISHED_AT] then changes[T_FINISHED_AT] = false end
  if task[T_LAST_ROUTE] then changes[T_LAST_ROUTE] = false end
  return changes
end

-- Claims a pending task for a fetch (contract 4, step 9): it becomes running with fresh timestamps, the fetching
-- worker and command, an empty summary (no entry), and the fetch's timeout overrides; publishes pending -> running.
-- `options` holds the fetch's ARGV: now, workerId ("" for none), startHeartbeat ("1"/"0"),
-- heartbeatTimeout and taskTimeout ("" to keep the task's own), cmd (JSON text). The claiming worker is the one the
-- caller named, whose keys are in `keys` (lua/includes/keys.lua). Returns the claimed task, packed.
local function claimTask(keys, taskId, task, options)
  local now = tonumber(options.now)
  local changes = newRunChanges(task, {
    [T_STATUS] = "running",
    [T_START_TIME] = now,
    [T_LAST_MODIFIED] = now,
    [T_LAST_HEARTBEAT] = false,
    [T_WORKER_ID] = false,
    [T_CMD] = fieldChange(T_CMD, options.cmd),
    [T_SUMMARY] = false,
  })
  if options.startHeartbeat == "1" then changes[T_LAST_HEARTBEAT] = now end
  if options.workerId ~= "" then changes[T_WORKER_ID] = options.workerId end
  if options.heartbeatTimeout ~= "" then changes[T_HEARTBEAT_TIMEOUT] = options.heartbeatTimeout end
  if options.taskTimeout ~= "" then changes[T_TASK_TIMEOUT] = tonumber(options.taskTimeout) end
  local packed = writeTask(keys, taskId, task, changes)
  appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], options.now, "task", taskId, "pending", "running", packed)
  return packed
end

-- Fetch's checks before any claim: the worker the caller named (keys.workerId, "" for none) must exist in the
-- queue and be active. Returns nil when it may fetch, else the error reply.
local function refuseWorker(keys)
  if keys.workerId == "" then return nil end
  local status = redis.call("HGET", keys[WORKER_KEY], "status")
  if not status then return { E.WORKER_NOT_FOUND } end
  if status ~= "active" then return { E.WORKER_NOT_ACTIVE, status } end
  return nil
end
