--@include generated
--@include order
--@include documents
-- A task is one STRING: its fields (field -> string) packed as a MessagePack map. Args, metadata and summaries are
-- JSON longer than Redis's default hash-max-listpack-value (64 bytes), which would turn a HASH into a hashtable of
-- about 900 bytes; packed, a task takes about 400 whatever the server's settings. Scripts read and write whole tasks.

-- The stored task as a table of field -> string; nil when there is none.
local function readTask(key)
  local packed = redis.call("GET", key)
  if not packed then return nil end
  return cmsgpack.unpack(packed)
end

-- Stores the whole task; returns the packed record, which its event carries too.
local function storeTask(key, task)
  local packed = packRecord(task)
  redis.call("SET", key, packed)
  return packed
end

-- Keeps a task's indexes in step with its fields: the status index, the pending indexes (all pending, and by the
-- signature of its top-level arg keys), the deadline index of running tasks, and its worker's task set.

-- When a running task expires, in ms since the epoch: the earlier of heartbeat expiry and task timeout.
local function taskDeadline(task)
  local deadline
  if task.last_heartbeat and task.heartbeat_timeout then
    deadline = tonumber(task.last_heartbeat) + tonumber(task.heartbeat_timeout) * 1000
  end
  if task.start_time and task.task_timeout then
    local timeout = tonumber(task.start_time) + tonumber(task.task_timeout) * 1000
    if not deadline or timeout < deadline then deadline = timeout end
  end
  return deadline
end

-- The task's member in its indexes, derived from its fields rather than stored (it would cost 60 bytes a task).
local function taskOrder(taskId, task)
  return orderKey(task.last_modified, task.seq, taskId)
end

local function unindexTask(root, taskId, task)
  local order = taskOrder(taskId, task)
  redis.call("ZREM", K.status(root, task.status), order)
  if task.status == "pending" then
    redis.call("ZREM", K.signature(root, task.sig), order)
  elseif task.status == "running" and taskDeadline(task) then
    -- Only a running task with a deadline is in the deadline index (see indexTask).
    redis.call("ZREM", K.deadlines(root), taskId)
  end
end

local function indexTask(root, taskId, task)
  local score, order = -tonumber(task.priority), taskOrder(taskId, task)
  redis.call("ZADD", K.status(root, task.status), score, order)
  if task.status == "pending" then
    redis.call("ZADD", K.signature(root, task.sig), score, order)
    redis.call("SADD", K.signatures(root), task.sig)
  elseif task.status == "running" then
    local deadline = taskDeadline(task)
    if deadline then redis.call("ZADD", K.deadlines(root), deadline, taskId) end
  end
end

-- Counts the changes to a queue's tasks that write no event; with the event sequence it tells a cached listing
-- whether any task changed (src/broker/listing.ts). Writes that append an event need not call it.
local function touchTasks(root)
  redis.call("HINCRBY", K.queue(root), "tasks_rev", 1)
end

-- Applies `changes` (field -> string, or false to remove the field) to a stored task and re-indexes it; returns
-- the packed task for its event.
-- Every change sets last_modified, so the task moves in its indexes; `rev` counts writes for optimistic updates
-- (absent until the first write: "0").
local function writeTask(root, taskId, task, changes)
  unindexTask(root, taskId, task)
  local previousWorker = task.worker_id
  for field, value in pairs(changes) do
    if value == false then task[field] = nil else task[field] = value end
  end
  task.rev = tostring(tonumber(task.rev or "0") + 1)
  local packed = storeTask(K.task(root, taskId), task)
  if previousWorker ~= task.worker_id then
    if previousWorker then redis.call("SREM", K.workerTasks(root, previousWorker), taskId) end
    if task.worker_id then redis.call("SADD", K.workerTasks(root, task.worker_id), taskId) end
  end
  indexTask(root, taskId, task)
  return packed
end
