--[[
  deleteWorker: remove a worker (v1 delete_worker); with cascade, clear worker_id on the tasks that name it.

  The worker's task set lists exactly those tasks, so the cascade touches only them. Atomic so no task keeps
  pointing at the worker after a cascading delete.

  KEYS[1] root     labtasker:{<queue_id>}:                   queue root (task keys are derived from it)
  KEYS[2] worker   labtasker:{<queue_id>}:worker:<worker_id> HASH
  KEYS[3] workers  labtasker:{<queue_id>}:workers            ZSET

  ARGV[1] now            ms since the epoch, integer
  ARGV[2] workerId       the worker's id
  ARGV[3] cascadeUpdate  "1" to clear worker_id (and set last_modified) on its tasks, "0" to leave them

  Returns {OK}; {WORKER_NOT_FOUND}.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include tasks

local root, workerKey, workersKey = KEYS[1], KEYS[2], KEYS[3]
local now, workerId = ARGV[1], ARGV[2]
if redis.call("EXISTS", workerKey) == 0 then return { E.WORKER_NOT_FOUND } end
redis.call("DEL", workerKey)
redis.call("ZREM", workersKey, workerId)
if ARGV[3] == "1" then
  for _, taskId in ipairs(redis.call("SMEMBERS", K.workerTasks(root, workerId))) do
    local task = readTask(K.task(root, taskId))
    if task then writeTask(root, taskId, task, { worker_id = false, last_modified = now }) end
  end
  touchTasks(root)
  redis.call("DEL", K.workerTasks(root, workerId))
end
return { E.OK }
