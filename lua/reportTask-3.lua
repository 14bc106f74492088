--[[
  reportTask: a task's outcome (contract 3.4): success, failed (retry or fail, charging the worker), cancelled;
  or "running", an extension that only merges a summary into a task that is still running.

  Atomic so the worker fence, the state machine, the worker's failure accounting, the summary merge, the indexes
  and the events agree: a stale worker whose task was reassigned cannot report over the new claim.

  KEYS[1] root   labtasker:{<queue_id>}:                 queue root (worker and index keys are derived from it)
  KEYS[2] queue  labtasker:{<queue_id>}:queue            HASH
  KEYS[3] task   labtasker:{<queue_id>}:task:<task_id>   STRING (packed task)

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
--@include report

local root, queueKey, taskKey = KEYS[1], KEYS[2], KEYS[3]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
return applyReport(root, queueKey, taskKey, ARGV[1], reportFromArgv(ARGV, 2)) or { E.OK }
