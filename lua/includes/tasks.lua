--@include generated
--@include keys
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
-- `keys` is the script's KEYS (lua/includes/keys.lua). Derived from the root: the status index a task leaves and the
-- one it enters (they depend on its stored status, and for a failure on its retries), and the pending index of a
-- stored task's signature, which the caller cannot know without reading the task first (src/store/keys.ts
-- DERIVED_KEYS says why the status indexes do not come in KEYS either).

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

local function unindexTask(keys, taskId, task)
  local order = taskOrder(taskId, task)
  redis.call("ZREM", K.status(keys[ROOT_KEY], task.status), order)
  if task.status == "pending" then
    redis.call("ZREM", K.signature(keys[ROOT_KEY], task.sig), order)
  elseif task.status == "running" and taskDeadline(task) then
    -- Only a running task with a deadline is in the deadline index (see indexTask).
    redis.call("ZREM", keys[DEADLINES_KEY], taskId)
  end
end

-- A pending task's entries: the index of all pending tasks, the index of its signature, and the signature in the
-- set of signatures. Shared by indexTask and submitTasks, which has only these keys.
local function indexPending(pendingKey, signatureKey, signaturesKey, score, order, sig)
  redis.call("ZADD", pendingKey, score, order)
  redis.call("ZADD", signatureKey, score, order)
  redis.call("SADD", signaturesKey, sig)
end

-- `signatureKey`: the pending index of the task's signature when the caller declared it (the one an update sets);
-- nil to derive it from the stored signature.
local function indexTask(keys, taskId, task, signatureKey)
  local score, order = -tonumber(task.priority), taskOrder(taskId, task)
  if task.status == "pending" then
    local root = keys[ROOT_KEY]
    indexPending(K.status(root, "pending"), signatureKey or K.signature(root, task.sig), keys[SIGNATURES_KEY], score,
      order, task.sig)
    return
  end
  redis.call("ZADD", K.status(keys[ROOT_KEY], task.status), score, order)
  if task.status == "running" then
    local deadline = taskDeadline(task)
    if deadline then redis.call("ZADD", keys[DEADLINES_KEY], deadline, taskId) end
  end
end

-- Counts the changes to a queue's tasks that write no event; with the event sequence it tells a cached listing
-- whether any task changed (src/broker/listing.ts). Writes that append an event need not call it.
local function touchTasks(queueKey)
  redis.call("HINCRBY", queueKey, "tasks_rev", 1)
end

-- Applies `changes` (field -> string, or false to remove the field) to the task stored at `taskKey` and re-indexes
-- it; returns the packed task for its event. `signatureKey` as for indexTask.
-- Every change sets last_modified, so the task moves in its indexes; `rev` counts writes for optimistic updates
-- (absent until the first write: "0").
local function writeTask(keys, taskKey, taskId, task, changes, signatureKey)
  unindexTask(keys, taskId, task)
  local previousWorker = task.worker_id
  for field, value in pairs(changes) do
    if value == false then task[field] = nil else task[field] = value end
  end
  task.rev = tostring(tonumber(task.rev or "0") + 1)
  local packed = storeTask(taskKey, task)
  if previousWorker ~= task.worker_id then
    if previousWorker then redis.call("SREM", workerTasksKey(keys, previousWorker), taskId) end
    if task.worker_id then redis.call("SADD", workerTasksKey(keys, task.worker_id), taskId) end
  end
  indexTask(keys, taskId, task, signatureKey)
  return packed
end
