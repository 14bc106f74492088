--[[
  reportTask: a task's outcome (contract 3.4): success, failed (retry or fail, charging the worker), cancelled;
  or "running", an extension that only merges a summary into a task that is still running.

  Atomic so the worker fence, the state machine, the worker's failure accounting, the summary merge, the indexes
  and the events agree: a stale worker whose task was reassigned cannot report over the new claim.

  KEYS[1] root   labtasker:{<queue_id>}:                 queue root (worker and index keys are derived from it)
  KEYS[2] queue  labtasker:{<queue_id>}:queue            HASH
  KEYS[3] task   labtasker:{<queue_id>}:task:<task_id>   HASH

  ARGV[1] now           ms since the epoch, integer
  ARGV[2] taskId        the task's id
  ARGV[3] status        "success" | "failed" | "cancelled" | "running"
  ARGV[4] workerId      the reporting worker, "" when the report names none (no fence)
  ARGV[5] summaryMode   "keep" (null summary) | "merge" (top-level keys below) | "replace" (ARGV[7] whole)
  ARGV[6] expectedRev   for "replace": the task revision the broker merged against; "" replaces unconditionally
  ARGV[7..] for "merge": key, JSON value, key, JSON value, ...; for "replace": the summary JSON text

  Returns {OK}; {QUEUE_NOT_FOUND}; {TASK_NOT_FOUND}; {WORKER_MISMATCH, holder or ""};
  {INVALID_TRANSITION, from, to or ""}; {CONFLICT} (replace against a changed task: read again and retry).
  Events: worker active -> active|crashed when a failure is charged, then task running -> pending|failed,
  running -> success, or X -> cancelled. failed -> failed and "running" reports write no event.
]]
--@include generated
--@include hash
--@include json
--@include fsm
--@include tasks
--@include workers
--@include documents
--@include events

local root, queueKey, taskKey = KEYS[1], KEYS[2], KEYS[3]
local now, taskId, status, workerId, summaryMode = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
local task = readHash(taskKey)
if not task then return { E.TASK_NOT_FOUND } end
if workerId ~= "" and task.worker_id ~= workerId then return { E.WORKER_MISMATCH, task.worker_id or "" } end
if summaryMode == "replace" and ARGV[6] ~= "" and task.rev ~= ARGV[6] then return { E.CONFLICT } end

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
if summaryMode == "merge" then
  for i = 7, #ARGV, 2 do summary = setTopLevelKey(summary, ARGV[i], ARGV[i + 1]) end
elseif summaryMode == "replace" then
  summary = ARGV[7]
end

if status == "failed" and old == "running" and task.worker_id then
  chargeWorkerFailure(root, queueKey, task.worker_id, now)
end

local changes = { status = new, retries = tostring(retries), last_modified = now, summary = summary }
if status ~= "running" then changes.worker_id = false end
writeTask(root, taskId, task, changes)

if status ~= "running" and not (status == "failed" and old == "failed") then
  appendEvent(root, queueKey, now, "task", taskId, old, new, taskDocument(root, taskId, task))
end
return { E.OK }
