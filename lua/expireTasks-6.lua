--[[
  expireTasks: fail-and-retry running tasks whose heartbeat or task timeout has passed (contract 3.5).

  The periodic sweep calls this for every queue; fetch does the same inline, so timeouts also work in direct mode
  with no server. Atomic per call so each expired task, its worker's accounting and their events commit together.

  The keys of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS):
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    status:<status>         the index of the status a task leaves (its stored one) and of the one it enters (for a
                            failure, set by its stored retries); why not all four in KEYS: keys.ts DERIVED_KEYS
    pending-by-args:<sig>   the index of a retried task's stored signature
    worker:<worker_id>, worker-tasks:<worker_id>   the worker each overdue task names (its worker_id)
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now    ms since the epoch, integer; tasks whose deadline is strictly earlier expire
  ARGV[2] limit  tasks to expire at most in this call, integer

  Returns {OK, expiredCount}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}. A count equal to the limit means more
  may be due.
  Events: per task, worker active -> active|crashed (when it has one) then task running -> pending|failed.
]]
--@include generated
--@include queue
--@include expire

local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
return { E.OK, expireDueTasks(KEYS, ARGV[1], tonumber(ARGV[2])) }
