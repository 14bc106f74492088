--[[
  v2Fail: a labtasker v2 run's failure (POST .../tasks/{task_id}/fail), charged by the rule both protocols share.

  Atomic so the fence, the charge, the transition, the indexes and the event agree. The failure counts in v1's
  retries, and the task goes back to pending while retries < max_retries, else fails (docs/compat.md); last_error
  records it. A repeat by the run is effect-idempotent.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on the stored task, read inside the script:
    status:<status>, archived:<status>   the index of the status the task leaves and of the one it enters
    pending-by-args:<sig>     the claim index of its signature, when it re-enters pending with `default` in its routes
    pending-by-route:<route>, routes, pending-routed, waiting   its other claim indexes, or the waiting set
    runs                      the entry of the v2 run it ended before, replaced by this one's
    dependents                the waiting tasks its success releases, or that it waits for again
    worker:<worker_id>, worker-tasks:<worker_id>   the v1 worker an expiring task would name (none for a v2 run)

  ARGV[1] now      ms since the epoch, integer
  ARGV[2] taskId   the task's id (text: lua/includes/ids.lua)
  ARGV[3] runId    the reporting run's id
  ARGV[4] type       the error's type
  ARGV[5] message    its message
  ARGV[6] traceback  its traceback; ARGV[7] "1" when there is one (else null)

  Returns {OK}; {TASK_NOT_FOUND}; {STALE_RUN}; {RUN_FINALIZED, action}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: task running -> pending|failed (or the expiry's events, when the lease had passed).
]]
--@include generated
--@include queue
--@include runs
--@include ids
local now, taskId, runId = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task, reply = guardRun(KEYS, taskId, runId, "fail", now)
if reply then return reply end
local status, retries = taskStateAfterFailure(taskField(task, T_RETRIES), taskField(task, T_MAX_RETRIES))
local traceback = nil
if ARGV[7] == "1" then traceback = ARGV[6] end
local packed = writeTask(KEYS, taskId, task, {
  [T_STATUS] = status,
  [T_RETRIES] = retries,
  [T_LAST_MODIFIED] = tonumber(now),
  [T_LAST_ERROR] = lastErrorJson(taskId, task, ARGV[4], ARGV[5], now, traceback),
  [T_RUN_END] = "fail",
})
appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, "running", status, packed)
return { E.OK }
