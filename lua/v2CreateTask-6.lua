--[[
  v2CreateTask: create a task under the id a labtasker v2 client chose (PUT .../tasks/{task_id}), or find the one that
  exists under it: the same creation request again is a replay and changes nothing; another is refused.

  Atomic so two creations of one id cannot both create, and the task appears in the HASH of tasks, its indexes and
  the event stream together or not at all.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET (not touched here)
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because their names depend on the task's data (its signature, routes and dependencies):
    pending-by-args:<sig>     the claim index of its signature, when its routes include `default`
    pending-by-route:<route>, routes, pending-routed, waiting   its other claim indexes, or the waiting set
    dependents                the waiting tasks registered under its id (it is flagged, so its success releases
                              them), and its own registration under each dependency that has not succeeded

  ARGV[1] now           ms since the epoch, integer
  ARGV[2] taskId        the id (t_ + 12, lua/includes/ids.lua)
  ARGV[3] creation      the creation request's fingerprint (src/broker/v2/create.ts)
  ARGV[4] name          task name, "" for null
  ARGV[5] args          JSON text of the args object
  ARGV[6] metadata      JSON text of the metadata object
  ARGV[7] priority      integer
  ARGV[8] maxRetries    max_attempts, integer
  ARGV[9] routes        JSON array text, "" for ["default"]
  ARGV[10] dependencies JSON array text of task ids, "" for none
  ARGV[11] signature    of the sorted top-level arg keys (src/broker/requiredFields.ts argsSignature)

  Returns {OK, 1, packed task} when created; {OK, 0, packed task} for a replay; {TASK_ID_CONFLICT};
  {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: task created -> pending when created.
]]
--@include generated
--@include queue
--@include tasks
--@include documents
--@include events
--@include ids

local now, taskId, creation = ARGV[1], storedTaskId(ARGV[2]), ARGV[3]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end

local existing = redis.call("HGET", KEYS[TASKS_KEY], taskId)
if existing then
  if cmsgpack.unpack(existing)[T_CREATION] ~= creation then return { E.TASK_ID_CONFLICT } end
  return { E.OK, 0, existing }
end

-- The created event's sequence number is the task's creation sequence too (as submitTasks draws it).
local seq = nextEventSequence(KEYS[QUEUE_KEY])
local task = {
  [T_STATUS] = "pending",
  [T_TASK_NAME] = nonEmpty(ARGV[4]),
  [T_CREATED_AT] = tonumber(now),
  [T_MAX_RETRIES] = unlessAbsent(T_MAX_RETRIES, tonumber(ARGV[8])),
  [T_PRIORITY] = tonumber(ARGV[7]),
  [T_METADATA] = unlessAbsent(T_METADATA, ARGV[6]),
  [T_ARGS] = unlessAbsent(T_ARGS, ARGV[5]),
  [T_SEQ] = seq,
  [T_SIG] = ARGV[11],
  [T_ROUTES] = nonEmpty(ARGV[9]),
  [T_DEPENDENCIES] = nonEmpty(ARGV[10]),
  [T_CREATION] = creation,
}
-- Tasks may already wait for this id (dependencies on missing ids are accepted): its success will release them.
if redis.call("HEXISTS", K.dependents(KEYS[ROOT_KEY]), taskId) == 1 then task[T_DEPENDED] = 1 end
if checkDependencies(KEYS, taskId, task) then task[T_WAITING] = 1 end
local packed = storeTask(KEYS[TASKS_KEY], taskId, task)
indexTask(KEYS, taskId, task)
appendEventAt(KEYS[EVENTS_KEY], seq, now, "task", taskId, "created", "pending", packed)
return { E.OK, 1, packed }
