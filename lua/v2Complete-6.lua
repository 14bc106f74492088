--[[
  v2Complete: a labtasker v2 run's success (POST .../tasks/{task_id}/complete): the task succeeds with the run's result.

  Atomic so the fence, the transition, the release of the tasks waiting for this one, the indexes and the event
  agree. A repeat by the run is effect-idempotent: the first result stays.

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
  ARGV[4] result   JSON object text, the result (v1's summary) replaced whole, compact (src/json.ts stringifyJson)
  ARGV[5] limit    bytes, integer: the most stored data the task may hold with this result (v2's 1 MiB,
                   src/broker/v2/size.ts); "" when the caller has checked the size itself

  Returns {OK}; {TASK_NOT_FOUND}; {STALE_RUN}; {RUN_FINALIZED, action}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout};
  {CONFLICT} when the task might exceed the limit with this result (nothing written: the caller measures the task
  exactly, then calls again with no limit or refuses the result).
  Events: task running -> success (or the expiry's events, when the lease had passed).
]]
--@include generated
--@include queue
--@include runs
--@include ids

-- At least the size v2 gives the task's stored data with `result` as its result: the compact JSON, keys sorted, of
-- name, args, metadata, priority, max_attempts, routes, result, and progress and dependencies when any
-- (src/broker/v2/size.ts). A stored JSON text is never shorter than that form of its value (the same tokens, or
-- fewer: spaces, escapes and repeated keys only shorten it), plus 2 where a value that is not an object reads as {};
-- a name takes at most 6 bytes a byte once escaped, a number 25.
local function storedDataBound(task, result)
  -- {} and 7 keys with their quotes and colons, 6 commas; priority and max_attempts
  local size = 77 + 25 + 25
  local name = task[T_TASK_NAME]
  size = size + (name and 2 + 6 * #name or 4)
  size = size + #taskField(task, T_ARGS) + 2 + #taskField(task, T_METADATA) + 2 + #taskField(task, T_ROUTES) + 2 + #result + 2
  if task[T_PROGRESS] then size = size + 12 + #task[T_PROGRESS] + 2 end -- ,"progress":
  if task[T_DEPENDENCIES] then size = size + 16 + #task[T_DEPENDENCIES] + 2 end -- ,"dependencies":
  return size
end

local now, taskId, runId = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task, reply = guardRun(KEYS, taskId, runId, "complete", now)
if reply then return reply end
-- Only a completion the run may make is measured (as 2.8.0 does), and at once for almost every task: one far from the
-- limit needs no read of its own before this script.
if ARGV[5] ~= "" and storedDataBound(task, ARGV[4]) > tonumber(ARGV[5]) then return { E.CONFLICT } end
local packed = writeTask(KEYS, taskId, task, {
  [T_STATUS] = "success",
  [T_LAST_MODIFIED] = tonumber(now),
  [T_SUMMARY] = fieldChange(T_SUMMARY, ARGV[4]),
  [T_RUN_END] = "complete",
})
appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, "running", "success", packed)
return { E.OK }
