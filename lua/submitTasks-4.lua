--[[
  submitTasks: create one or many pending tasks (contract 2.3 TaskSubmitRequest; v1 create_task).

  Atomic so each task appears in its key, its indexes and the event stream together or not at all; a batch is
  all-or-nothing too. The broker sends batches of a few hundred tasks so one call stays short.

  KEYS[1] queue       labtasker:{<queue_id>}:queue                   HASH
  KEYS[2] events      labtasker:{<queue_id>}:events                  STREAM
  KEYS[3] signatures  labtasker:{<queue_id>}:signatures              SET
  KEYS[4] pending     labtasker:{<queue_id>}:status:pending          ZSET
  KEYS[5..] two keys per task, in the order of the tasks in ARGV:
    labtasker:{<queue_id>}:task:<task_id>          STRING (packed task)
    labtasker:{<queue_id>}:pending-by-args:<sig>   ZSET, the pending index of the task's signature
  Every key comes in KEYS: nothing is derived.

  ARGV[1] now    ms since the epoch, integer
  ARGV[2] count  number of tasks, integer
  then 10 values per task:
    taskId, task_name ("" for null), args JSON, metadata JSON, cmd JSON, heartbeat_timeout ("" for null),
    task_timeout ("" for null), max_retries, priority, signature (of the sorted top-level arg keys)

  Returns {OK} or {QUEUE_NOT_FOUND}.
  Events: task created -> pending, one per task, in order.

  Task ids are new UUIDs, so a task that exists already means this very call ran before: ioredis sends a command
  again after a reconnect when its answer was lost, and a second run must not index or announce the task twice.
]]
--@include generated
--@include tasks
--@include documents
--@include events

local queueKey, eventsKey, signaturesKey, pendingKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, count = ARGV[1], tonumber(ARGV[2])
local FIELDS_PER_TASK = 10

if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end

local function nonEmpty(value)
  if value == "" then return nil end
  return value
end

for i = 0, count - 1 do
  local at = 3 + i * FIELDS_PER_TASK
  local taskId, taskKey = ARGV[at], KEYS[5 + 2 * i]
  if redis.call("EXISTS", taskKey) == 0 then
    -- The created event's sequence number is the task's creation sequence too: both count up per queue.
    local seq = nextEventSequence(queueKey)
    local task = {
      status = "pending",
      task_name = nonEmpty(ARGV[at + 1]),
      args = ARGV[at + 2],
      metadata = ARGV[at + 3],
      cmd = ARGV[at + 4],
      heartbeat_timeout = nonEmpty(ARGV[at + 5]),
      task_timeout = nonEmpty(ARGV[at + 6]),
      max_retries = ARGV[at + 7],
      priority = ARGV[at + 8],
      sig = ARGV[at + 9],
      retries = "0",
      summary = "{}",
      created_at = now,
      last_modified = now,
      seq = tostring(seq),
    }
    local packed = storeTask(taskKey, task)
    local score, order = -tonumber(task.priority), taskOrder(taskId, task)
    indexPending(pendingKey, KEYS[6 + 2 * i], signaturesKey, score, order, task.sig)
    appendEventAt(eventsKey, seq, now, "task", taskId, "created", "pending", packed)
  end
end
return { E.OK }
