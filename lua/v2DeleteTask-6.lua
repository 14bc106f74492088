--[[
  v2DeleteTask: delete a task for labtasker v2 (DELETE .../tasks/{task_id}): idempotent, refused while the task runs.

  Atomic so the status check and the removal see one state, and no index keeps a member whose task is gone.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on the stored task, read inside the script:
    status:<status>, archived:<status>   the index of the status the task leaves and of the one it enters
    pending-by-args:<sig>     the claim index of its signature (stored, or set by the update), when its routes
                              include `default`
    pending-by-route:<route>, routes, pending-routed, waiting   its other claim indexes, or the waiting set
    runs                      the entries of the v2 runs it holds or ended
    dependents                the waiting tasks its success releases, or that it waits for
    worker:<worker_id>, worker-tasks:<worker_id>   the v1 worker the task names

  ARGV[1] taskId  the task's id (text: lua/includes/ids.lua)

  Returns {OK, 1} when deleted, {OK, 0} when there was none; {TASK_RUNNING}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
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
if not task then return { E.OK, 0 } end
if task[T_STATUS] == "running" then return { E.TASK_RUNNING } end
deleteStoredTask(KEYS, taskId, task)
touchTasks(KEYS[QUEUE_KEY])
return { E.OK, 1 }
