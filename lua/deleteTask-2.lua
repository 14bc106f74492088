--[[
  deleteTask: remove a task and every index entry that points at it.

  Atomic so no index keeps a member whose task is gone (a fetch would otherwise find a ghost).

  KEYS[1] root  labtasker:{<queue_id>}:                 queue root (index keys are derived from it)
  KEYS[2] task  labtasker:{<queue_id>}:task:<task_id>   STRING (packed task)

  ARGV[1] taskId  the task's id

  Returns {OK} or {TASK_NOT_FOUND}.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include tasks

local root, taskKey, taskId = KEYS[1], KEYS[2], ARGV[1]
local task = readTask(taskKey)
if not task then return { E.TASK_NOT_FOUND } end
unindexTask(root, taskId, task)
if task.worker_id then redis.call("SREM", K.workerTasks(root, task.worker_id), taskId) end
redis.call("DEL", taskKey)
touchTasks(root)
return { E.OK }
