--[[
  v2RequeueTask: put a pending, failed or cancelled task back to pending for labtasker v2 (POST .../tasks/{task_id}/requeue).

  Atomic so the status check and the transition see one state. The task starts over: attempt and v1's retries 0,
  last_error cleared, unarchived, at the end of its priority class; a task with dependencies is checked against
  them again.

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

  ARGV[1] now     ms since the epoch, integer
  ARGV[2] taskId  the task's id (text: lua/includes/ids.lua)

  Returns {OK, packed task}; {TASK_NOT_FOUND}; {TASK_STATE_CONFLICT, status}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: task pending|failed|cancelled -> pending.
]]
--@include generated
--@include queue
--@include tasks
--@include documents
--@include events
--@include ids

local now, taskId = ARGV[1], storedTaskId(ARGV[2])
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task = readTask(KEYS[TASKS_KEY], taskId)
if not task then return { E.TASK_NOT_FOUND } end
local old = task[T_STATUS]
if old ~= "pending" and old ~= "failed" and old ~= "cancelled" then return { E.TASK_STATE_CONFLICT, old } end
local changes = {
  [T_STATUS] = "pending",
  [T_LAST_MODIFIED] = tonumber(now),
  [T_RETRIES] = false,
  [T_ATTEMPT] = false,
  [T_LAST_ERROR] = false,
  [T_ARCHIVED] = false,
  [T_WORKER_ID] = false,
}
local packed = writeTask(KEYS, taskId, task, changes)
appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, old, "pending", packed)
return { E.OK, packed }
