--@include generated
--@include keys
--@include order
-- A task is one field of the queue's `tasks` HASH, its id -> a MessagePack map of field code (T_<NAME>) -> value,
-- with no entry for a field that holds what its absence stands for (TASK_ABSENT); times and counters are integers,
-- the rest text (src/store/taskRecord.ts). Scripts read and write whole tasks as tables of code -> value, as
-- stored: no pass over the fields either way. `tasksKey` is the queue's HASH of tasks.

-- The stored task as a table of code -> value; nil when there is none.
local function readTask(tasksKey, taskId)
  local packed = redis.call("HGET", tasksKey, taskId)
  if not packed then return nil end
  return cmsgpack.unpack(packed)
end

-- A field of a task, or what its absence stands for.
local function taskField(task, code)
  local value = task[code]
  if value ~= nil then return value end
  if code == T_LAST_MODIFIED then return task[T_CREATED_AT] end
  return TASK_ABSENT[code]
end

-- The change that sets field `code` to `value`: false (no entry) when the absence stands for that value.
local function fieldChange(code, value)
  if value == TASK_ABSENT[code] then return false end
  return value
end

-- The changes an update sends as ARGV[from..to], field code, value pairs (src/store/taskRecord.ts), on top of
-- last_modified := now: an empty value removes the field, an integer field's text becomes its number.
local function changesFromArgv(argv, from, to, now)
  local changes = { [T_LAST_MODIFIED] = tonumber(now) }
  for i = from, to, 2 do
    local code, value = tonumber(argv[i]), argv[i + 1]
    if value == "" then
      changes[code] = false
    else
      if TASK_INTEGERS[code] then value = tonumber(value) end
      changes[code] = fieldChange(code, value)
    end
  end
  return changes
end

-- Stores the whole task; returns the packed record, which its event carries too.
local function storeTask(tasksKey, taskId, task)
  local packed = cmsgpack.pack(task)
  redis.call("HSET", tasksKey, taskId, packed)
  return packed
end

-- Keeps a task's indexes in step with its fields: the index of its status, or, pending, the pending index of the
-- signature of its top-level arg keys (there is no index of all pending tasks: that is the union of these); the
-- deadline index of running tasks, and its worker's task set. `keys` is the script's KEYS (lua/includes/keys.lua).
-- Derived from the root: the status index a task leaves and the one it enters (they depend on its stored status,
-- and for a failure on its retries), and the pending index of a stored task's signature, which the caller cannot
-- know without reading the task first (src/store/keys.ts DERIVED_KEYS says why the status indexes do not come in
-- KEYS either).

-- When a running task expires, in ms since the epoch: the earlier of heartbeat expiry and task timeout.
local function taskDeadline(task)
  local deadline
  local heartbeat, heartbeatTimeout = task[T_LAST_HEARTBEAT], task[T_HEARTBEAT_TIMEOUT]
  if heartbeat and heartbeatTimeout then deadline = heartbeat + tonumber(heartbeatTimeout) * 1000 end
  local start, taskTimeout = task[T_START_TIME], task[T_TASK_TIMEOUT]
  if start and taskTimeout then
    local timeout = start + taskTimeout * 1000
    if not deadline or timeout < deadline then deadline = timeout end
  end
  return deadline
end

-- The task's member in its indexes, derived from its fields rather than stored (it would cost 27 bytes a task).
local function taskOrder(taskId, task)
  return orderKey(taskField(task, T_LAST_MODIFIED), task[T_SEQ], taskId)
end

local function unindexTask(keys, taskId, task)
  local order, status = taskOrder(taskId, task), task[T_STATUS]
  if status == "pending" then
    redis.call("ZREM", K.signature(keys[ROOT_KEY], task[T_SIG]), order)
    return
  end
  redis.call("ZREM", K.status(keys[ROOT_KEY], status), order)
  if status == "running" and taskDeadline(task) then
    -- Only a running task with a deadline is in the deadline index (see indexTask).
    redis.call("ZREM", keys[DEADLINES_KEY], taskId)
  end
end

-- A pending task's entries: the index of its signature, and the signature in the set of signatures (which is how
-- a fetch that requires no exact key set, a listing and a purge find every pending index). Shared by indexTask and
-- submitTasks, which has only these keys.
local function indexPending(signatureKey, signaturesKey, score, order, sig)
  redis.call("ZADD", signatureKey, score, order)
  redis.call("SADD", signaturesKey, sig)
end

-- `signatureKey`: the pending index of the task's signature when the caller declared it (the one an update sets);
-- nil to derive it from the stored signature.
local function indexTask(keys, taskId, task, signatureKey)
  local score, order, status = -task[T_PRIORITY], taskOrder(taskId, task), task[T_STATUS]
  if status == "pending" then
    local sig = task[T_SIG]
    indexPending(signatureKey or K.signature(keys[ROOT_KEY], sig), keys[SIGNATURES_KEY], score, order, sig)
    return
  end
  redis.call("ZADD", K.status(keys[ROOT_KEY], status), score, order)
  if status == "running" then
    local deadline = taskDeadline(task)
    if deadline then redis.call("ZADD", keys[DEADLINES_KEY], deadline, taskId) end
  end
end

-- Counts the changes to a queue's tasks that write no event; with the event sequence it tells a cached listing
-- whether any task changed (src/broker/listing.ts). Writes that append an event need not call it.
local function touchTasks(queueKey)
  redis.call("HINCRBY", queueKey, "tasks_rev", 1)
end

-- Applies `changes` (code -> value, or false to remove the field) to the stored task `taskId` and re-indexes it;
-- returns the packed task for its event. `signatureKey` as for indexTask.
-- Every change sets last_modified, so the task moves in its indexes; `rev` counts writes for optimistic updates.
local function writeTask(keys, taskId, task, changes, signatureKey)
  unindexTask(keys, taskId, task)
  local previousWorker = task[T_WORKER_ID]
  for code, value in pairs(changes) do
    if value == false then task[code] = nil else task[code] = value end
  end
  task[T_REV] = taskField(task, T_REV) + 1
  local packed = storeTask(keys[TASKS_KEY], taskId, task)
  local worker = task[T_WORKER_ID]
  if previousWorker ~= worker then
    if previousWorker then redis.call("SREM", workerTasksKey(keys, previousWorker), taskId) end
    if worker then redis.call("SADD", workerTasksKey(keys, worker), taskId) end
  end
  indexTask(keys, taskId, task, signatureKey)
  return packed
end
