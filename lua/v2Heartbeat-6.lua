--[[
  v2Heartbeat: renew the lease of a labtasker v2 run (POST .../tasks/{task_id}/heartbeat).

  Atomic so the fence and the renewal see one state: a run whose task moved on is refused, never revived. The lease
  is the task's deadline, in the deadline index the sweep reads (one deadline a running task); last_modified stays,
  as v2's updated_at does.

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
  ARGV[4] leaseMs  the lease a heartbeat gives, ms

  Returns {OK, lease (ms)}; {TASK_NOT_FOUND}; {STALE_RUN}; {RUN_FINALIZED, action}; {QUEUE_NOT_FOUND};
  {QUEUE_LAYOUT, layout}.
  Events: none, unless the lease had passed: then those of the task's expiry (running -> pending|failed).
]]
--@include generated
--@include queue
--@include runs
--@include ids
local now, taskId, runId = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task, reply = guardRun(KEYS, taskId, runId, "heartbeat", now)
if reply then return reply end
local lease = tonumber(now) + tonumber(ARGV[4])
redis.call("ZADD", KEYS[DEADLINES_KEY], lease, taskId)
task[T_LEASE] = lease
storeTask(KEYS[TASKS_KEY], taskId, task)
return { E.OK, lease }
