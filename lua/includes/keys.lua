--@include generated
-- `keys` is the KEYS table of a script that writes tasks: the queue's keys at the positions ROOT_KEY, QUEUE_KEY,
-- EVENTS_KEY, DEADLINES_KEY and SIGNATURES_KEY (lua/includes/generated.lua, from src/store/keys.ts TASK_WRITE_KEYS);
-- and, when the caller names a worker in ARGV, that worker's HASH at WORKER_KEY and its task SET at
-- WORKER_TASKS_KEY, with the script setting keys.workerId to the worker's id. The helpers read KEYS itself rather
-- than a table of named keys built on each call: that table cost 0.4 to 0.9 µs a call in Redis, as much as passing
-- all the keys it would name.

-- A worker's HASH, and the SET of the tasks that name it: the declared keys when it is the worker the caller named,
-- else derived from the root, for a worker found in a task's worker_id (the caller cannot know it in advance).
local function workerKey(keys, workerId)
  if workerId == keys.workerId then return keys[WORKER_KEY] end
  return K.worker(keys[ROOT_KEY], workerId)
end

local function workerTasksKey(keys, workerId)
  if workerId == keys.workerId then return keys[WORKER_TASKS_KEY] end
  return K.workerTasks(keys[ROOT_KEY], workerId)
end
