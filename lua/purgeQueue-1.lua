--[[
  purgeQueue: delete a dropped queue's tasks, workers and indexes, a batch at a time.

  The queue record is already gone, so nothing can reach these keys while they are deleted; batching keeps each
  call short on queues with many tasks. The broker calls it until it reports nothing left.

  KEYS[1] root  labtasker:{<queue_id>}:   queue root (every key below is derived from it)

  ARGV[1] batch  entities to delete at most in this call, integer

  Returns {OK, remaining}: 0 when the queue's keys are all gone.
  Events: none.
]]
--@include generated
--@include order
--@include tasks

local root, budget = KEYS[1], tonumber(ARGV[1])
local statuses = { "pending", "running", "success", "failed", "cancelled" }

for _, status in ipairs(statuses) do
  local index = K.status(root, status)
  local members = redis.call("ZRANGE", index, 0, budget - 1)
  for _, member in ipairs(members) do
    local taskKey = K.task(root, taskIdOfMember(member))
    -- A task can name a worker deleted without cascade; its task set goes with the task.
    local task = readTask(taskKey)
    local workerId = task and task.worker_id
    if workerId then redis.call("DEL", K.workerTasks(root, workerId)) end
    redis.call("DEL", taskKey)
  end
  if #members > 0 then redis.call("ZREM", index, unpack(members)) end
  budget = budget - #members
  if budget <= 0 then return { E.OK, 1 } end
end

local workers = redis.call("ZRANGE", K.workers(root), 0, budget - 1)
for _, workerId in ipairs(workers) do
  redis.call("DEL", K.worker(root, workerId), K.workerTasks(root, workerId))
end
if #workers > 0 then
  redis.call("ZREM", K.workers(root), unpack(workers))
  return { E.OK, 1 }
end

for _, signature in ipairs(redis.call("SMEMBERS", K.signatures(root))) do
  redis.call("DEL", K.signature(root, signature))
end
redis.call("DEL", K.signatures(root), K.deadlines(root), K.events(root))
return { E.OK, 0 }
