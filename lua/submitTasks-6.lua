--[[
  submitTasks: create one or many pending tasks (contract 2.3 TaskSubmitRequest; v1 create_task), with the task
  model's extensions where a task has them (docs/tasks.md): dependencies, a per-task environment, max_timeouts,
  dedup identity and client-chosen ids.

  Atomic so each task appears in the HASH of tasks, its indexes and the event stream together or not at all; a
  batch is all-or-nothing too: every refusal comes before the first write. The broker sends batches of a few
  hundred tasks so one call stays short. Atomic too against concurrent submits of the same task (dedup: one
  creates, the other finds it) and against a concurrent delete of a dependency (checked here, not by the caller).

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root        labtasker:{<queue_id>}:                        the queue's root: the prefix of derived keys
  KEYS[2] queue       labtasker:{<queue_id>}:queue                   HASH
  KEYS[3] events      labtasker:{<queue_id>}:events                  STREAM
  KEYS[4] deadlines   labtasker:{<queue_id>}:deadlines               ZSET (not touched: no task created runs)
  KEYS[5] signatures  labtasker:{<queue_id>}:signatures              SET
  KEYS[6] tasks       labtasker:{<queue_id>}:tasks                   HASH task id -> packed task

  Derived from KEYS[1], because a batch holds thousands of tasks and each key passed costs Redis a parse, a copy
  into Lua and a free (two keys a task in KEYS made a bulk submit 9% slower against BullMQ's addBulk), or because
  only a task with extensions touches them:
    pending-by-args:<sig>   the pending index of each task's signature, from ARGV
    waiting, dependents     a task with a dependency that has not succeeded, and its registration under it
    identities              the dedup identity -> task id of the queue's tasks submitted with dedup
    status:cancelled        a task whose dependency has failed for good or was cancelled is cancelled at once

  ARGV[1] now        ms since the epoch, integer
  ARGV[2] count      number of tasks, integer
  ARGV[3] undecided  "1" when a task leaves dedup to the queue's default and came without its identity: refused with
                     {DEDUP_DEFAULT} when the queue's metadata has `"dedup": true` (the caller sends identities then)
  ARGV[4] fields     values per task: 10 when no task of the call has an extension (the plain submit, as before the
                     extensions: no argument more, no pass over them), else 11
  then 10 or 11 values per task:
    taskId (text: lua/includes/ids.lua), task_name ("" for null), args JSON, metadata JSON, cmd JSON, heartbeat_timeout ("" for null),
    task_timeout ("" for null), max_retries, priority, signature (of the sorted top-level arg keys), and with 11:
    extensions: "" for none (the usual case); "i" or "j" and an identity for a dedup identity alone (as i or j
      below); else a JSON object of
      d  the dependencies: ids (text) of tasks of the queue or of earlier tasks of this batch
      e  the environment, JSON object text, stored as given
      m  max_timeouts, integer
      i  the dedup identity, when the submit asked for dedup
      j  the dedup identity, to be used when the queue's metadata has `"dedup": true`
      c  the definition's fingerprint of a client-chosen id ("v1:" + base64url)
  A task is stored without the fields that hold what their absence stands for (src/store/taskRecord.ts).

  Returns {OK} when no task has extensions; else {OK, i1, id1, i2, id2, ...}: for each task found in place of a new
  one (dedup, or the same client id and definition), its position (from 0) and the id (text) of the task that exists
  already; the tasks not listed were created (or by an earlier run of this very call);
  {UNKNOWN_DEPENDENCY, i, id}; {SELF_DEPENDENCY, i, id}; {TASK_ID_CONFLICT, i, id}
  (i from 0); {DEDUP_DEFAULT}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: task created -> pending, one per task created, in order; pending -> cancelled for a task created with a
  dependency that has failed for good or was cancelled.

  Minted task ids are new random ids, so a task that exists already under one means this very call ran before:
  ioredis sends a command again after a reconnect when its answer was lost, and a second run must not index or
  announce the task twice.
]]
--@include generated
--@include queue
--@include tasks
--@include documents
--@include events
--@include ids

local root, queueKey, eventsKey, signaturesKey, tasksKey = KEYS[ROOT_KEY], KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], KEYS[SIGNATURES_KEY], KEYS[TASKS_KEY]
local identitiesKey = K.identities(root)
local now, count, undecided = ARGV[1], tonumber(ARGV[2]), ARGV[3] == "1"
local FIELDS_PER_TASK, FIRST = tonumber(ARGV[4]), 5

local refused = refuseQueue(queueKey)
if refused then return refused end

-- The task of ARGV's values from `at`, as stored when it has no extensions.
local function newTask(at, seq)
  return {
    [T_STATUS] = "pending",
    [T_TASK_NAME] = nonEmpty(ARGV[at + 1]),
    [T_CREATED_AT] = tonumber(now),
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
end

-- Whether the queue's metadata makes dedup the default (`"dedup": true` at its top level).
local function queueDedups()
  local metadata = redis.call("HGET", queueKey, "metadata")
  if not metadata or not string.find(metadata, '"dedup"', 1, true) then return false end
  local ok, decoded = pcall(cjson.decode, metadata)
  return ok and type(decoded) == "table" and decoded.dedup == true
end

-- The extensions of each task that has some, by position from 0: `extensions` the JSON ones, decoded; `identities` a
-- dedup identity alone ("i": the usual dedup sweep's every task), `defaults` an identity for the queue's default alone
-- ("j"), kept as strings (no table a task). `checked`: some task has dependencies or a client id, which the checks
-- below refuse before any write.
local extensions, identities, defaults, extended, defaulted, checked = {}, {}, {}, false, false, false
for i = 0, FIELDS_PER_TASK == 11 and count - 1 or -1 do
  local text = ARGV[FIRST + i * FIELDS_PER_TASK + 10]
  if text ~= "" then
    local kind = string.byte(text)
    if kind == 123 then -- "{"
      local ext = cjson.decode(text)
      if ext.d or ext.c then checked = true end
      if ext.j then defaulted = true end
      extensions[i] = ext
    elseif kind == 105 then -- "i"
      identities[i] = string.sub(text, 2)
    else
      defaults[i] = string.sub(text, 2)
      defaulted = true
    end
    extended = true
  end
end
local dedupDefault = (undecided or defaulted) and queueDedups()
if undecided and dedupDefault then return { E.DEDUP_DEFAULT } end

if not extended then
  -- The plain submit: no task has an extension.
  for i = 0, count - 1 do
    local at = FIRST + i * FIELDS_PER_TASK
    local taskId = storedTaskId(ARGV[at])
    if redis.call("HEXISTS", tasksKey, taskId) == 0 then
      -- The created event's sequence number is the task's creation sequence too: both count up per queue.
      local seq = nextEventSequence(queueKey)
      local task = newTask(at, seq)
      local packed = storeTask(tasksKey, taskId, task)
      local sig = task[T_SIG]
      indexPending(K.signature(root, sig), signaturesKey, -task[T_PRIORITY], taskOrder(taskId, task), sig)
      appendEventAt(eventsKey, seq, now, "task", taskId, "created", "pending", packed)
    end
  end
  return { E.OK }
end

-- Every refusal before the first write. `earlier`: the stored ids of the batch's tasks before the one checked, each
-- -> its client id's fingerprint, or true.
local earlier = {}
for i = 0, checked and count - 1 or -1 do
  local at = FIRST + i * FIELDS_PER_TASK
  local textId = ARGV[at]
  local taskId, ext = storedTaskId(textId), extensions[i]
  if ext and ext.c then
    local creation = earlier[taskId]
    if creation == nil then
      local packed = redis.call("HGET", tasksKey, taskId)
      if packed then creation = cmsgpack.unpack(packed)[T_CREATION] or false end
    end
    if creation ~= nil and creation ~= ext.c then return { E.TASK_ID_CONFLICT, i, textId } end
  end
  if ext and ext.d then
    for _, dependency in ipairs(ext.d) do
      local dependencyId = storedTaskId(dependency)
      if dependencyId == taskId then return { E.SELF_DEPENDENCY, i, dependency } end
      if not earlier[dependencyId] and redis.call("HEXISTS", tasksKey, dependencyId) == 0 then
        return { E.UNKNOWN_DEPENDENCY, i, dependency }
      end
    end
  end
  earlier[taskId] = (ext and ext.c) or true
end

-- The first dependency (text id) of a task that has failed for good or was cancelled, nil when none has.
local function endedDependency(dependencies)
  for _, dependency in ipairs(dependencies) do
    local stored = readTask(tasksKey, storedTaskId(dependency))
    if stored and ENDED_FOR_GOOD[stored[T_STATUS]] then return dependency end
  end
  return nil
end

-- Creates the task with its extensions; `found` maps the batch's ids already found in place of a task to that task.
local function createExtended(at, textId, taskId, ext, identity, found, registered)
  local seq = nextEventSequence(queueKey)
  local task = newTask(at, seq)
  local dependencies = {}
  for _, dependency in ipairs(ext.d or {}) do
    local resolved = found[dependency] or dependency
    local known = false
    for _, id in ipairs(dependencies) do
      if id == resolved then known = true break end
    end
    if not known then dependencies[#dependencies + 1] = resolved end
  end
  if #dependencies > 0 then task[T_DEPENDENCIES] = cjson.encode(dependencies) end
  task[T_ENV] = ext.e
  if ext.m then task[T_MAX_TIMEOUTS] = unlessAbsent(T_MAX_TIMEOUTS, tonumber(ext.m)) end
  task[T_CREATION] = ext.c
  if identity then
    task[T_IDENTITY] = identity
    if not registered then redis.call("HSET", identitiesKey, identity, textId) end
  end
  -- Tasks may already wait for this id (a client id that a v2 task named): its success will release them.
  if ext.c and redis.call("HEXISTS", K.dependents(root), taskId) == 1 then task[T_DEPENDED] = 1 end
  if checkDependencies(KEYS, taskId, task) then task[T_WAITING] = 1 end
  local packed = storeTask(tasksKey, taskId, task)
  indexTask(KEYS, taskId, task)
  appendEventAt(eventsKey, seq, now, "task", taskId, "created", "pending", packed)
  local ended = task[T_WAITING] and endedDependency(dependencies)
  if ended then
    local written = writeTask(KEYS, taskId, task, { [T_STATUS] = "cancelled", [T_LAST_MODIFIED] = tonumber(now), [T_BLOCKED_BY] = ended })
    appendEvent(queueKey, eventsKey, now, "task", taskId, "pending", "cancelled", written)
  end
end

-- Creates a task without extensions, or whose only extension is its dedup identity (nil: none, or one the queue's
-- default leaves unused), as the plain submit does, with the identity stored, and registers it unless HSETNX just did.
local function createWithIdentity(at, textId, taskId, identity, registered)
  local seq = nextEventSequence(queueKey)
  local task = newTask(at, seq)
  if identity then
    task[T_IDENTITY] = identity
    if not registered then redis.call("HSET", identitiesKey, identity, textId) end
  end
  local packed = storeTask(tasksKey, taskId, task)
  local sig = task[T_SIG]
  indexPending(K.signature(root, sig), signaturesKey, -task[T_PRIORITY], taskOrder(taskId, task), sig)
  appendEventAt(eventsKey, seq, now, "task", taskId, "created", "pending", packed)
end

-- Registers a task's dedup identity unless a task holds it. Returns whether it did, and the id (text) of the task that
-- holds it: another task's (found), not one that is gone (replaced) nor this call's own task (an earlier run of this
-- very call). HSETNX registers a new identity in the one call; only when one is there is it read.
local function registerIdentity(identity, textId)
  if redis.call("HSETNX", identitiesKey, identity, textId) == 1 then return true, nil end
  local holder = redis.call("HGET", identitiesKey, identity)
  if holder ~= textId and redis.call("HEXISTS", tasksKey, storedTaskId(holder)) == 1 then return false, holder end
  return false, nil
end

-- The reply is built as it goes: unpack() of a batch's results could pass Lua's stack limit.
local reply, found = { E.OK }, {}
-- Many tasks of a batch may wait for one dependency: their registrations are written once, at the end.
KEYS.deferDependents = true
for i = 0, count - 1 do
  local at = FIRST + i * FIELDS_PER_TASK
  local textId = ARGV[at]
  local taskId, ext = storedTaskId(textId), extensions[i]
  local existing, registered = nil, false
  if ext then
    if ext.c and redis.call("HEXISTS", tasksKey, taskId) == 1 then existing = textId end
    local identity = ext.i or (dedupDefault and ext.j) or nil
    if not existing and identity then registered, existing = registerIdentity(identity, textId) end
    if existing then
      found[textId] = existing
    elseif redis.call("HEXISTS", tasksKey, taskId) == 0 then
      createExtended(at, textId, taskId, ext, identity, found, registered)
    end
  else
    local identity = identities[i] or (dedupDefault and defaults[i]) or nil
    if identity then registered, existing = registerIdentity(identity, textId) end
    if existing then
      found[textId] = existing
    -- A minted id (a client's comes as JSON) whose own dedup identity was free names no task: an earlier run of this
    -- very call would have registered the identity to it, and only the task's delete unregisters it. Not so for the
    -- queue's default: an earlier run, before the queue dedup'd, created the task without registering it.
    elseif (registered and identities[i]) or redis.call("HEXISTS", tasksKey, taskId) == 0 then
      createWithIdentity(at, textId, taskId, identity, registered)
    end
  end
  if existing then
    reply[#reply + 1] = i
    reply[#reply + 1] = existing
  end
end
flushDependents(KEYS)
return reply
