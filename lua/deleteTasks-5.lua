--[[
  deleteTasks: remove a batch of tasks, each with every index entry that points at it (the batch form of deleteTask).

  Atomic so a bulk delete interrupted anywhere leaves each batch wholly applied or not at all, and no index keeps a
  member whose task is gone. The broker sends at most 1,000 ids a call (about 5 ms in Redis).

  KEYS[1..5] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM (not touched here)
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET (not touched here)

  Derived from KEYS[1], because a batch holds a thousand tasks (passing each key costs Redis a parse, a copy into
  Lua and a free; see submitTasks) and the other names depend on the stored task, read inside the script:
    task:<task_id>             each task, by the id in ARGV
    status:<status>            the index of each task's stored status
    pending-by-args:<sig>      the index of each task's stored signature, when it is pending
    worker-tasks:<worker_id>   the task set of the worker each task names

  ARGV[1..] taskId  the ids of the tasks to delete, each once

  Returns {OK, missing taskId, ...}: the ids that named no task; every other one is deleted.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include tasks

local root = KEYS[ROOT_KEY]
local reply, deleted = { E.OK }, 0
for _, taskId in ipairs(ARGV) do
  local taskKey = K.task(root, taskId)
  local task = readTask(taskKey)
  if task then
    unindexTask(KEYS, taskId, task)
    if task.worker_id then redis.call("SREM", workerTasksKey(KEYS, task.worker_id), taskId) end
    redis.call("DEL", taskKey)
    deleted = deleted + 1
  else
    reply[#reply + 1] = taskId
  end
end
if deleted > 0 then touchTasks(KEYS[QUEUE_KEY]) end
return reply
