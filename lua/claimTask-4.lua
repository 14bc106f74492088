--[[
  claimTask: claim one named pending task, for a fetch whose extra filter the broker evaluated itself.

  The broker reads candidates from the head of a pending index, evaluates the filter in Node, and claims the first
  match here. Atomic because the task may have been claimed, changed or deleted since it was read: the script
  claims only if it is still pending and still satisfies the required fields, so nothing is claimed twice.
  With an empty task id it only runs fetch's preliminaries (expiry, worker check), for a fetch that found nothing.

  KEYS[1] root     labtasker:{<queue_id>}:                   queue root (prefix of every key below)
  KEYS[2] queue    labtasker:{<queue_id>}:queue              HASH
  KEYS[3] task     labtasker:{<queue_id>}:task:<task_id>     STRING, a packed task (the root when ARGV[2] is "")
  KEYS[4] worker   labtasker:{<queue_id>}:worker:<worker_id> HASH (the root when no worker is named)

  ARGV[1] now               ms since the epoch, integer
  ARGV[2] taskId            the task to claim, "" to run the checks only
  ARGV[3] workerId          worker id, "" for none
  ARGV[4] requiredSpec      JSON (see includes/required.lua), "" for no constraint
  ARGV[5] expireLimit       overdue running tasks to expire first at most, integer
  ARGV[6] startHeartbeat    "1" or "0"
  ARGV[7] heartbeatTimeout  seconds as JSON number text, "" to keep the task's
  ARGV[8] taskTimeout       seconds as JSON number text, "" to keep the task's
  ARGV[9] cmd               JSON text of the worker's command (may be "null")

  Returns {OK, taskId, packed task} when claimed (as fetchTask); {OK} after checks only; {NOT_CLAIMABLE};
  {QUEUE_NOT_FOUND}; {WORKER_NOT_FOUND}; {WORKER_NOT_ACTIVE, status}.
  Events: those of expired tasks, then task pending -> running.
]]
--@include generated
--@include expire
--@include required
--@include claim

local root, queueKey, taskKey, workerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, taskId, workerId = ARGV[1], ARGV[2], ARGV[3]

if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
expireDueTasks(root, queueKey, now, tonumber(ARGV[5]))
local refusal = refuseWorker(workerKey, workerId)
if refusal then return refusal end
if taskId == "" then return { E.OK } end

local task = readTask(taskKey)
if not task or task.status ~= "pending" then return { E.NOT_CLAIMABLE } end
if not argsSatisfy(decodeRequiredSpec(ARGV[4]), task.args) then return { E.NOT_CLAIMABLE } end
local packed = claimTask(root, queueKey, taskId, task, {
  now = now, workerId = workerId, startHeartbeat = ARGV[6],
  heartbeatTimeout = ARGV[7], taskTimeout = ARGV[8], cmd = ARGV[9],
})
return { E.OK, taskId, packed }
