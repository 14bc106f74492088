--[[
  expireTasks: fail-and-retry running tasks whose heartbeat or task timeout has passed (contract 3.5).

  The periodic sweep calls this for every queue; fetch does the same inline, so timeouts also work in direct mode
  with no server. Atomic per call so each expired task, its worker's accounting and their events commit together.

  KEYS[1] root   labtasker:{<queue_id>}:        queue root (task, worker and index keys are derived from it)
  KEYS[2] queue  labtasker:{<queue_id>}:queue   HASH

  ARGV[1] now    ms since the epoch, integer; tasks whose deadline is strictly earlier expire
  ARGV[2] limit  tasks to expire at most in this call, integer

  Returns {OK, expiredCount}; {QUEUE_NOT_FOUND}. A count equal to the limit means more may be due.
  Events: per task, worker active -> active|crashed (when it has one) then task running -> pending|failed.
]]
--@include generated
--@include expire

local root, queueKey = KEYS[1], KEYS[2]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
return { E.OK, expireDueTasks(root, queueKey, ARGV[1], tonumber(ARGV[2])) }
