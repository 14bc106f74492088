--@include generated
--@include keys
--@include hash
--@include documents
--@include events
-- The worker side of a task failure (contract 3.3): the worker that held the task loses one of its retries and
-- is crashed when none is left, in the same script as the task's own transition. Its event comes first.
-- A crashed worker is a null transition (no change, no event), as in v1. A suspended or deleted worker is left
-- alone: v1 refuses the whole report there (and retries a timed-out task forever), which strands the task.
-- `keys` is the script's KEYS (lua/includes/keys.lua); `workerId` is the task's worker_id.
local function chargeWorkerFailure(keys, workerId, now)
  local key = workerKey(keys, workerId)
  local worker = readHash(key)
  if not worker or worker.status ~= "active" then return end
  local retries = tonumber(worker.retries) + 1
  local status = "active"
  if retries >= tonumber(worker.max_retries) then status = "crashed" end
  worker.retries, worker.status, worker.last_modified = tostring(retries), status, tostring(now)
  redis.call("HSET", key, "retries", worker.retries, "status", status, "last_modified", worker.last_modified)
  appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "worker", workerId, "active", status, packRecord(worker))
end
