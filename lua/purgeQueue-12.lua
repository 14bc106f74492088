--[[
  purgeQueue: delete a dropped queue's tasks, workers and indexes, a batch at a time.

  The queue record is already gone, so nothing can reach these keys while they are deleted; batching keeps each
  call short on queues with many tasks: tasks leave the HASH of tasks a batch at a time, with their index entries,
  and the keys left at the end are unlinked (freed outside Redis's main thread). The broker calls it until it
  reports nothing left.

  KEYS[1] root         labtasker:{<queue_id>}:                   the queue's root: the prefix of derived keys
  KEYS[2] workers      labtasker:{<queue_id>}:workers            ZSET
  KEYS[3] signatures   labtasker:{<queue_id>}:signatures         SET
  KEYS[4] deadlines    labtasker:{<queue_id>}:deadlines          ZSET
  KEYS[5] events       labtasker:{<queue_id>}:events             STREAM
  KEYS[6] tasks        labtasker:{<queue_id>}:tasks              HASH task id -> packed task
  KEYS[7] running      labtasker:{<queue_id>}:status:running     ZSET
  KEYS[8] success      labtasker:{<queue_id>}:status:success     ZSET
  KEYS[9] failed       labtasker:{<queue_id>}:status:failed      ZSET
  KEYS[10] cancelled   labtasker:{<queue_id>}:status:cancelled   ZSET
  KEYS[11] observations       labtasker:{<queue_id>}:observations         HASH v2 worker observations
  KEYS[12] observationExpiry  labtasker:{<queue_id>}:observation-expiry   ZSET

  Derived from KEYS[1], because their ids are read inside the script, from the sets being emptied (the caller
  would have to read them first, and they may change before the script runs):
    worker-tasks:<worker_id>   the task set of the worker each task names, and of each worker
    worker:<worker_id>         each worker (a member of KEYS[2])
    pending-by-args:<sig>      each pending index (its sig is a member of KEYS[3]), emptied like the status indexes
    pending-by-route:<route>   each route's claim index (a member of `routes`), emptied likewise
    archived:<status>, pending-routed, waiting   emptied likewise; routes, dependents, runs, identities   unlinked at
    the end
    (labtasker v2's indexes: derived rather than passed, as every script that writes tasks derives them)

  ARGV[1] batch  entities to delete at most in this call, integer

  Returns {OK, remaining}: 0 when the queue's keys are all gone.
  Events: none.
]]
--@include generated
--@include order
--@include tasks

local root, workersKey, signaturesKey, tasksKey = KEYS[1], KEYS[2], KEYS[3], KEYS[6]
local budget = tonumber(ARGV[1])

local indexes = { KEYS[7], KEYS[8], KEYS[9], KEYS[10], K.routed(root), K.waiting(root) }
for _, status in ipairs({ "success", "failed", "cancelled" }) do indexes[#indexes + 1] = K.archivedStatus(root, status) end
for _, signature in ipairs(redis.call("SMEMBERS", signaturesKey)) do
  indexes[#indexes + 1] = K.signature(root, signature)
end
for _, route in ipairs(redis.call("SMEMBERS", K.routes(root))) do
  indexes[#indexes + 1] = K.routeIndex(root, route)
end
for _, index in ipairs(indexes) do
  local members = redis.call("ZRANGE", index, 0, budget - 1)
  if #members > 0 then
    local taskIds = {}
    for j, member in ipairs(members) do
      local taskId = taskIdOfMember(member)
      taskIds[j] = taskId
      -- A task can name a worker deleted without cascade; its task set goes with the task.
      local task = readTask(tasksKey, taskId)
      local workerId = task and task[T_WORKER_ID]
      if workerId then redis.call("DEL", K.workerTasks(root, workerId)) end
    end
    redis.call("HDEL", tasksKey, unpack(taskIds))
    redis.call("ZREM", index, unpack(members))
  end
  budget = budget - #members
  if budget <= 0 then return { E.OK, 1 } end
end

local workers = redis.call("ZRANGE", workersKey, 0, budget - 1)
for _, workerId in ipairs(workers) do
  redis.call("DEL", K.worker(root, workerId), K.workerTasks(root, workerId))
end
if #workers > 0 then
  redis.call("ZREM", workersKey, unpack(workers))
  return { E.OK, 1 }
end

-- The indexes are empty, so gone. Tasks in no index (none, unless an index entry was lost) go with the HASH.
redis.call("UNLINK", signaturesKey, KEYS[4], KEYS[5], tasksKey, KEYS[11], KEYS[12], K.routes(root), K.dependents(root), K.runs(root),
  K.identities(root))
return { E.OK, 0 }
