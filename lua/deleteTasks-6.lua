--[[
  deleteTasks: remove a batch of tasks, each with every index entry that points at it (the batch form of deleteTask).

  Atomic so a bulk delete interrupted anywhere leaves each batch wholly applied or not at all, and no index keeps a
  member whose task is gone. The broker sends at most 1,000 ids a call (about 5 ms in Redis).

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM (not touched here)
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET (not touched here)
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on the stored task, read inside the script:
    status:<status>            the index of each task's stored status
    pending-by-args:<sig>      the index of each task's stored signature, when it is pending
    worker-tasks:<worker_id>   the task set of the worker each task names
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1..] taskId  the ids of the tasks to delete, each once (text: lua/includes/ids.lua)

  Returns {OK, position, ...}: the positions in ARGV (from 1) of the ids that named no task; every other one is
  deleted.
  {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include queue
--@include tasks
--@include ids

local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local reply, deleted = { E.OK }, 0
for position, id in ipairs(ARGV) do
  local taskId = storedTaskId(id)
  local task = readTask(KEYS[TASKS_KEY], taskId)
  if task then
    deleteStoredTask(KEYS, taskId, task)
    deleted = deleted + 1
  else
    reply[#reply + 1] = position
  end
end
if deleted > 0 then touchTasks(KEYS[QUEUE_KEY]) end
return reply
