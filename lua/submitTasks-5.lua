--[[
  submitTasks: create one or many pending tasks (contract 2.3 TaskSubmitRequest; v1 create_task).

  Atomic so each task appears in the HASH of tasks, its indexes and the event stream together or not at all; a
  batch is all-or-nothing too. The broker sends batches of a few hundred tasks so one call stays short.

  KEYS[1] root        labtasker:{<queue_id>}:                        the queue's root: the prefix of derived keys
  KEYS[2] queue       labtasker:{<queue_id>}:queue                   HASH
  KEYS[3] events      labtasker:{<queue_id>}:events                  STREAM
  KEYS[4] signatures  labtasker:{<queue_id>}:signatures              SET
  KEYS[5] tasks       labtasker:{<queue_id>}:tasks                   HASH task id -> packed task

  Derived from KEYS[1], because a batch holds thousands of tasks and each key passed costs Redis a parse, a copy
  into Lua and a free (two keys a task in KEYS made a bulk submit 9% slower against BullMQ's addBulk):
    pending-by-args:<sig>   the pending index of each task's signature, from ARGV

  ARGV[1] now    ms since the epoch, integer
  ARGV[2] count  number of tasks, integer
  then 10 values per task:
    taskId (text: lua/includes/ids.lua), task_name ("" for null), args JSON, metadata JSON, cmd JSON, heartbeat_timeout ("" for null),
    task_timeout ("" for null), max_retries, priority, signature (of the sorted top-level arg keys)
  A task is stored without the fields that hold what their absence stands for (src/store/taskRecord.ts).

  Returns {OK}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: task created -> pending, one per task, in order.

  Task ids are new random ids, so a task that exists already means this very call ran before: ioredis sends a command
  again after a reconnect when its answer was lost, and a second run must not index or announce the task twice.
]]
--@include generated
--@include queue
--@include tasks
--@include documents
--@include events
--@include ids

local root, queueKey, eventsKey, signaturesKey, tasksKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, count = ARGV[1], tonumber(ARGV[2])
local FIELDS_PER_TASK = 10

local refused = refuseQueue(queueKey)
if refused then return refused end

local function nonEmpty(value)
  if value == "" then return nil end
  return value
end

-- No entry for a value that the field's absence stands for (TASK_ABSENT).
local function unlessAbsent(code, value)
  if value == TASK_ABSENT[code] then return nil end
  return value
end

local createdAt = tonumber(now)
for i = 0, count - 1 do
  local at = 3 + i * FIELDS_PER_TASK
  local taskId = storedTaskId(ARGV[at])
  if redis.call("HEXISTS", tasksKey, taskId) == 0 then
    -- The created event's sequence number is the task's creation sequence too: both count up per queue.
    local seq = nextEventSequence(queueKey)
    local task = {
      [T_STATUS] = "pending",
      [T_TASK_NAME] = nonEmpty(ARGV[at + 1]),
      [T_CREATED_AT] = createdAt,
      [T_HEARTBEAT_TIMEOUT] = nonEmpty(ARGV[at + 5]),
      [T_TASK_TIMEOUT] = tonumber(ARGV[at + 6]),
      [T_MAX_RETRIES] = unlessAbsent(T_MAX_RETRIES, tonumber(ARGV[at + 7])),
      [T_PRIORITY] = tonumber(ARGV[at + 8]),
      [T_METADATA] = unlessAbsent(T_METADATA, ARGV[at + 3]),
      [T_ARGS] = unlessAbsent(T_ARGS, ARGV[at + 2]),
      [T_CMD] = unlessAbsent(T_CMD, ARGV[at + 4]),
      [T_SEQ] = seq,
      [T_SIG] = ARGV[at + 9],
    }
    local packed = storeTask(tasksKey, taskId, task)
    local sig = task[T_SIG]
    indexPending(K.signature(root, sig), signaturesKey, -task[T_PRIORITY], taskOrder(taskId, task), sig)
    appendEventAt(eventsKey, seq, now, "task", taskId, "created", "pending", packed)
  end
end
return { E.OK }
