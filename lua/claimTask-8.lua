--[[
  claimTask: claim one named pending task, for a fetch whose extra filter the broker evaluated itself.

  The broker reads candidates from the head of a pending index, evaluates the filter in Node, and claims the first
  match here. Atomic because the task may have been claimed, changed or deleted since it was read: the script
  claims only if it is still pending and still satisfies the required fields, so nothing is claimed twice.
  With an empty task id it only runs fetch's preliminaries (expiry, worker check), for a fetch that found nothing.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS); then the
  claiming worker's.
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] worker        labtasker:{<queue_id>}:worker:<worker_id>        HASH of ARGV[3]'s worker (the root for none)
  KEYS[8] workerTasks   labtasker:{<queue_id>}:worker-tasks:<worker_id>  SET of ARGV[3]'s worker (the root for none)

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    status:<status>         the index of the status a task leaves (its stored one) and of the one it enters (for a
                            failure, set by its stored retries); why not all four in KEYS: keys.ts DERIVED_KEYS
    pending-by-args:<sig>   the index of the claimed task's stored signature (the broker read the task, but it may
                            have changed since: the script re-reads it), and of a retried overdue task's
    worker:<worker_id>, worker-tasks:<worker_id>   the worker an overdue task names, unless it is ARGV[3]'s
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now               ms since the epoch, integer
  ARGV[2] taskId            the task to claim (text: lua/includes/ids.lua), "" to run the checks only
  ARGV[3] workerId          worker id, "" for none
  ARGV[4] requiredSpec      JSON (see includes/required.lua), "" for no constraint
  ARGV[5] expireLimit       overdue running tasks to expire first at most, integer
  ARGV[6] startHeartbeat    "1" or "0"
  ARGV[7] heartbeatTimeout  seconds as JSON number text, "" to keep the task's
  ARGV[8] taskTimeout       seconds as JSON number text, "" to keep the task's
  ARGV[9] cmd               JSON text of the worker's command (may be "null")

  Returns {OK, taskId, packed task} when claimed (as fetchTask); {OK} after checks only; {NOT_CLAIMABLE};
  {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}; {WORKER_NOT_FOUND}; {WORKER_NOT_ACTIVE, status}.
  Events: those of expired tasks, then task pending -> running.
]]
--@include generated
--@include queue
--@include expire
--@include required
--@include claim
--@include ids

KEYS.workerId = ARGV[3]
local now, taskId = ARGV[1], storedTaskId(ARGV[2])

local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
expireDueTasks(KEYS, now, tonumber(ARGV[5]))
local refusal = refuseWorker(KEYS)
if refusal then return refusal end
if taskId == "" then return { E.OK } end

local task = readTask(KEYS[TASKS_KEY], taskId)
-- Changed since the broker read it: claimed, or out of v1's reach now (its routes, its dependencies).
if not task or not claimableByV1(task) then return { E.NOT_CLAIMABLE } end
if not argsSatisfy(decodeRequiredSpec(ARGV[4]), task[T_ARGS]) then return { E.NOT_CLAIMABLE } end
local packed = claimTask(KEYS, taskId, task, {
  now = now, workerId = ARGV[3], startHeartbeat = ARGV[6],
  heartbeatTimeout = ARGV[7], taskTimeout = ARGV[8], cmd = ARGV[9],
})
return { E.OK, taskId, packed }
