--[[
  deleteTaskLogs: delete the logs of the given tasks (every attempt), after the tasks were deleted or with their queue.

  Atomic so the queue's byte counter stays equal to what its logs keep, whatever append runs meanwhile.

  KEYS[1] root   labtasker:{<queue_id>}:                (prefix of the derived keys)
  KEYS[2] index  labtasker:{<queue_id>}:task-logs       ZSET task id -> last write ms
  KEYS[3] total  labtasker:{<queue_id>}:task-log-bytes  STRING bytes kept by the queue's logs
  Derived from KEYS[1], because the number of attempts is read inside the script:
    task-log:<task_id>                  each named task's log
    task-log-data:<task_id>:<attempt>   each attempt that log records

  ARGV[1..] taskIds  the tasks whose logs go

  Returns {OK, number of tasks that had a log}.
  Events: none.
]]
--@include generated
--@include logs

local root, index, total = KEYS[1], KEYS[2], KEYS[3]
local deleted = 0
for _, taskId in ipairs(ARGV) do
  if redis.call("ZSCORE", index, taskId) or redis.call("EXISTS", K.taskLog(root, taskId)) == 1 then
    dropTaskLog(root, index, total, taskId)
    deleted = deleted + 1
  end
end
return { E.OK, deleted }
