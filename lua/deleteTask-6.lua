--[[
  deleteTask: remove a task and every index entry that points at it.

  Atomic so no index keeps a member whose task is gone (a fetch would otherwise find a ghost).

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM (not touched here)
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET (not touched here)
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on the stored task, read inside the script:
    status:<status>            the index of the task's stored status
    pending-by-args:<sig>      the index of the task's stored signature, when it is pending
    worker-tasks:<worker_id>   the task set of the worker the task names
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] taskId  the task's id (text: lua/includes/ids.lua)

  Returns {OK}; {TASK_NOT_FOUND}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include queue
--@include tasks
--@include ids

local taskId = storedTaskId(ARGV[1])
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task = readTask(KEYS[TASKS_KEY], taskId)
if not task then return { E.TASK_NOT_FOUND } end
deleteStoredTask(KEYS, taskId, task)
touchTasks(KEYS[QUEUE_KEY])
return { E.OK }
