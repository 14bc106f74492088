--[[
  purgeQueue: delete a dropped queue's tasks, workers and indexes, a batch at a time.

  The queue record is already gone, so nothing can reach these keys while they are deleted; batching keeps each
  call short on queues with many tasks. The broker calls it until it reports nothing left.

  KEYS[1] root         labtasker:{<queue_id>}:                   the queue's root: the prefix of derived keys
  KEYS[2] workers      labtasker:{<queue_id>}:workers            ZSET
  KEYS[3] signatures   labtasker:{<queue_id>}:signatures         SET
  KEYS[4] deadlines    labtasker:{<queue_id>}:deadlines          ZSET
  KEYS[5] events       labtasker:{<queue_id>}:events             STREAM
  KEYS[6] pending      labtasker:{<queue_id>}:status:pending     ZSET
  KEYS[7] running      labtasker:{<queue_id>}:status:running     ZSET
  KEYS[8] success      labtasker:{<queue_id>}:status:success     ZSET
  KEYS[9] failed       labtasker:{<queue_id>}:status:failed      ZSET
  KEYS[10] cancelled   labtasker:{<queue_id>}:status:cancelled   ZSET

  Derived from KEYS[1], because their ids are read inside the script, from the sets being emptied (the caller
  would have to read them first, and they may change before the script runs):
    task:<task_id>             each task (its id is a member of a status index)
    worker-tasks:<worker_id>   the task set of the worker each task names, and of each worker
    worker:<worker_id>         each worker (a member of KEYS[2])
    pending-by-args:<sig>      each pending index (a member of KEYS[3])

  ARGV[1] batch  entities to delete at most in this call, integer

  Returns {OK, remaining}: 0 when the queue's keys are all gone.
  Events: none.
]]
--@include generated
--@include order
--@include tasks

local root, workersKey, signaturesKey = KEYS[1], KEYS[2], KEYS[3]
local budget = tonumber(ARGV[1])

for i = 6, 10 do
  local index = KEYS[i]
  local members = redis.call("ZRANGE", index, 0, budget - 1)
  for _, member in ipairs(members) do
    local taskKey = K.task(root, taskIdOfMember(member))
    -- A task can name a worker deleted without cascade; its task set goes with the task.
    local task = readTask(taskKey)
    local workerId = task and task[T_WORKER_ID]
    if workerId then redis.call("DEL", K.workerTasks(root, workerId)) end
    redis.call("DEL", taskKey)
  end
  if #members > 0 then redis.call("ZREM", index, unpack(members)) end
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

for _, signature in ipairs(redis.call("SMEMBERS", signaturesKey)) do
  redis.call("DEL", K.signature(root, signature))
end
redis.call("DEL", signaturesKey, KEYS[4], KEYS[5])
return { E.OK, 0 }
