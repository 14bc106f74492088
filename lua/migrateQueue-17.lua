--[[
  migrateQueue: move a queue of an earlier layout of keys (1 or 2) to this version's (3), a batch of tasks at a time.

  Layout 3 is layout 2 with labtasker v2's task ids, fields and indexes (docs/keys.md): a queue of layout 2 has none of
  them, so its migration only writes layout 3 into its record (a server of layout 2 then refuses the queue rather
  than misread what this version writes there). The rest of this header is about layout 1.

  Layout 1 kept a STRING key a task (a MessagePack map of field name -> string), an index of all pending tasks
  besides the signatures', index members of 60 characters and task ids as text (docs/keys.md, "Layout versions").
  The first call sets every status index of layout 1 aside (RENAME), drops what is rebuilt from the tasks (the
  signatures' indexes, the deadline index, the workers' task sets) and the events, whose records are of layout 1 (the
  stream keeps its last id, so event numbers go on), and marks the queue as being migrated. Each call then moves up
  to ARGV[1] tasks: each into the HASH of tasks, with its entries in the indexes of this layout. The call that
  finds nothing left to move writes this layout into the queue's record. Every other script, and every request, refuses the
  queue until then, so nothing reads it half moved. Each call is atomic; a call run twice moves the next batch.

  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] workers       labtasker:{<queue_id>}:workers                   ZSET
  KEYS[8] pending       labtasker:{<queue_id>}:status:pending            ZSET of layout 1
  KEYS[9] running       labtasker:{<queue_id>}:status:running            ZSET
  KEYS[10] success      labtasker:{<queue_id>}:status:success            ZSET
  KEYS[11] failed       labtasker:{<queue_id>}:status:failed             ZSET
  KEYS[12] cancelled    labtasker:{<queue_id>}:status:cancelled          ZSET
  KEYS[13] aside        labtasker:{<queue_id>}:migrating:status:pending  ZSET: KEYS[8] set aside; and so on for each
  KEYS[14] aside        labtasker:{<queue_id>}:migrating:status:running  ZSET
  KEYS[15] aside        labtasker:{<queue_id>}:migrating:status:success  ZSET
  KEYS[16] aside        labtasker:{<queue_id>}:migrating:status:failed   ZSET
  KEYS[17] aside        labtasker:{<queue_id>}:migrating:status:cancelled  ZSET

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    task:<task_id>             layout 1's key of each task (its id is in a member of an index set aside)
    pending-by-args:<sig>      each signature's pending index (a member of KEYS[5]), dropped at the first call; the
                               index of each pending task's signature, rebuilt
    worker-tasks:<worker_id>   the task set of each worker (a member of KEYS[7]), dropped at the first call; of each
                               task's worker, rebuilt
    status:<status>            the index of each task's status, rebuilt (one of KEYS[9..12])
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] batch  tasks to move at most in this call, integer

  Returns {OK, remaining}: 0 once the queue is in this layout (at once for a queue that is); {QUEUE_NOT_FOUND}.
  Events: none.
]]
--@include generated
--@include tasks
--@include ids

local root, queueKey, signaturesKey, workersKey = KEYS[1], KEYS[2], KEYS[5], KEYS[7]
local MIGRATING = "1>" .. STORE_LAYOUT
-- Layout 1's index member: last_modified (13 digits), seq (11 digits), then the task id as text.
local LAYOUT_1_ID_AT = 25
local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

local layout = redis.call("HGET", queueKey, "layout")
if layout == STORE_LAYOUT then return { E.OK, 0 } end
-- Layout 2 differs from 3 only by what 3 adds (labtasker v2's ids, fields and indexes), which its tasks do not have.
if layout == "2" then
  redis.call("HSET", queueKey, "layout", STORE_LAYOUT)
  return { E.OK, 0 }
end
if not layout then
  if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
  for i = 8, 12 do
    if redis.call("EXISTS", KEYS[i]) == 1 then redis.call("RENAME", KEYS[i], KEYS[i + 5]) end
  end
  for _, sig in ipairs(redis.call("SMEMBERS", signaturesKey)) do redis.call("UNLINK", K.signature(root, sig)) end
  for _, workerId in ipairs(redis.call("ZRANGE", workersKey, 0, -1)) do
    redis.call("UNLINK", K.workerTasks(root, workerId))
  end
  redis.call("UNLINK", KEYS[4])
  redis.call("XTRIM", KEYS[3], "MAXLEN", 0)
  redis.call("HSET", queueKey, "layout", MIGRATING)
end

-- A task id of layout 1 as this layout stores it: a UUID in lowercase as its 16 bytes, any other id as it is.
local function migratedTaskId(taskId)
  if not string.find(taskId, UUID) or string.find(taskId, "%u") then return taskId end
  return storedTaskId(taskId)
end

-- A task of layout 1 (field name -> string) as this layout stores it (code -> value, without what is absent).
local function migratedTask(named)
  local task = {}
  for name, value in pairs(named) do
    local code = TASK_CODES[name]
    if code then
      if TASK_INTEGERS[code] then value = tonumber(value) end
      if value ~= TASK_ABSENT[code] then task[code] = value end
    end
  end
  if task[T_LAST_MODIFIED] == task[T_CREATED_AT] then task[T_LAST_MODIFIED] = nil end
  return task
end

local function moveTask(member)
  local oldId = string.sub(member, LAYOUT_1_ID_AT)
  local oldKey = K.layout1Task(root, oldId)
  local packed = redis.call("GET", oldKey)
  if not packed then return end
  local task, taskId = migratedTask(cmsgpack.unpack(packed)), migratedTaskId(oldId)
  storeTask(KEYS[TASKS_KEY], taskId, task)
  indexTask(KEYS, taskId, task)
  local workerId = task[T_WORKER_ID]
  if workerId then redis.call("SADD", K.workerTasks(root, workerId), taskId) end
  redis.call("DEL", oldKey)
end

local budget = tonumber(ARGV[1])
for i = 13, 17 do
  local members = redis.call("ZRANGE", KEYS[i], 0, budget - 1)
  for _, member in ipairs(members) do moveTask(member) end
  if #members > 0 then redis.call("ZREM", KEYS[i], unpack(members)) end
  budget = budget - #members
  if budget <= 0 then return { E.OK, 1 } end
end
redis.call("HSET", queueKey, "layout", STORE_LAYOUT)
return { E.OK, 0 }
