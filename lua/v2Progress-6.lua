--[[
  v2Progress: keep the latest progress report of a labtasker v2 run (POST .../tasks/{task_id}/progress).

  Atomic so the fence and the write see one state. The snapshot is the run's (with its attempt and time); it neither
  renews the lease nor moves the task in its indexes (v2's updated_at stays).

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
  ARGV[4] progress JSON object text

  Returns {OK}; {TASK_NOT_FOUND}; {STALE_RUN}; {RUN_FINALIZED, action}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none, unless the lease had passed: then those of the task's expiry (running -> pending|failed).
]]
--@include generated
--@include queue
--@include runs
--@include ids
local now, taskId, runId = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task, reply = guardRun(KEYS, taskId, runId, "progress", now)
if reply then return reply end
task[T_PROGRESS] = ARGV[4]
task[T_PROGRESS_UPDATED_AT] = tonumber(now)
task[T_PROGRESS_ATTEMPT] = taskField(task, T_ATTEMPT)
storeTask(KEYS[TASKS_KEY], taskId, task)
touchTasks(KEYS[QUEUE_KEY])
return { E.OK }
