--[[
  heartbeat: refresh a running task's heartbeat (contract 3.5) and move its deadline.

  Atomic so a heartbeat cannot revive a task that was just reassigned: the status and worker checks and the write
  see the same state. Only last_heartbeat changes (v1 leaves last_modified alone, so the task keeps its place).

  KEYS[1] tasks      labtasker:{<queue_id>}:tasks              HASH task id -> packed task
  KEYS[2] deadlines  labtasker:{<queue_id>}:deadlines          ZSET task id -> deadline ms
  KEYS[3..] worker   labtasker:{<queue_id>}:worker:<worker_id> HASH, only when ARGV[3] names a worker (one key then,
                     none otherwise)

  ARGV[1] now       ms since the epoch, integer
  ARGV[2] taskId    the task's id (text: lua/includes/ids.lua)
  ARGV[3] workerId  the worker sending it, "" for none

  Returns {OK}; {TASK_NOT_RUNNING}; {WORKER_MISMATCH, holder or ""}; {WORKER_NOT_ACTIVE_OR_MISSING}.
  Events: none (v1 publishes none for heartbeats).
]]
--@include generated
--@include tasks
--@include ids

local tasksKey, deadlines = KEYS[1], KEYS[2]
local now, taskId, workerId = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]

local task = readTask(tasksKey, taskId)
if not task or task[T_STATUS] ~= "running" then return { E.TASK_NOT_RUNNING } end
if workerId ~= "" then
  local holder = task[T_WORKER_ID]
  if holder ~= workerId then return { E.WORKER_MISMATCH, holder or "" } end
  if redis.call("HGET", KEYS[3], "status") ~= "active" then return { E.WORKER_NOT_ACTIVE_OR_MISSING } end
end

task[T_LAST_HEARTBEAT] = tonumber(now)
storeTask(tasksKey, taskId, task)
local deadline = taskDeadline(task)
if deadline then redis.call("ZADD", deadlines, deadline, taskId) end
return { E.OK }
