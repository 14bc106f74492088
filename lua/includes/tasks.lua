--@include generated
--@include keys
--@include order
--@include ids
--@include events
-- A task is one field of the queue's `tasks` HASH, its id -> a MessagePack map of field code (T_<NAME>) -> value,
-- with no entry for a field that holds what its absence stands for (TASK_ABSENT); times and counters are integers,
-- the rest text (src/store/taskRecord.ts). Scripts read and write whole tasks as tables of code -> value, as
-- stored: no pass over the fields either way. `tasksKey` is the queue's HASH of tasks.

-- The stored task as a table of code -> value; nil when there is none.
local function readTask(tasksKey, taskId)
  local packed = redis.call("HGET", tasksKey, taskId)
  if not packed then return nil end
  return cmsgpack.unpack(packed)
end

-- A field of a task, or what its absence stands for.
local function taskField(task, code)
  local value = task[code]
  if value ~= nil then return value end
  if code == T_LAST_MODIFIED then return task[T_CREATED_AT] end
  return TASK_ABSENT[code]
end

-- The change that sets field `code` to `value`: false (no entry) when the absence stands for that value.
local function fieldChange(code, value)
  if value == TASK_ABSENT[code] then return false end
  return value
end

-- The changes an update sends as ARGV[from..to], field code, value pairs (src/store/taskRecord.ts), on top of
-- last_modified := now: an empty value removes the field, an integer field's text becomes its number.
local function changesFromArgv(argv, from, to, now)
  local changes = { [T_LAST_MODIFIED] = tonumber(now) }
  for i = from, to, 2 do
    local code, value = tonumber(argv[i]), argv[i + 1]
    if value == "" then
      changes[code] = false
    else
      if TASK_INTEGERS[code] then value = tonumber(value) end
      changes[code] = fieldChange(code, value)
    end
  end
  return changes
end

-- A text argument, or nil for "" (the scripts' way of passing null).
local function nonEmpty(value)
  if value == "" then return nil end
  return value
end

-- No entry for a value that the field's absence stands for (TASK_ABSENT): a new task is stored without it.
local function unlessAbsent(code, value)
  if value == TASK_ABSENT[code] then return nil end
  return value
end

-- Stores the whole task; returns the packed record, which its event carries too.
local function storeTask(tasksKey, taskId, task)
  local packed = cmsgpack.pack(task)
  redis.call("HSET", tasksKey, taskId, packed)
  return packed
end

-- Keeps a task's indexes in step with its fields: the index of its status (of its archived tasks, for an archived
-- one), or, pending, its claim indexes: the pending index of the signature of its top-level arg keys when its routes
-- include `default` (there is no index of all pending tasks: that is the union of these, `pending-routed` and
-- `waiting`), the claim index of each other route it has, and `pending-routed` when its routes leave out `default`;
-- a pending task with a dependency that has not succeeded is in `waiting` alone. Then the deadline index of running
-- tasks, the runs of v2's claims, and the worker's task set. `keys` is the script's KEYS (lua/includes/keys.lua).
-- Derived from the root: the status index a task leaves and the one it enters (they depend on its stored status,
-- and for a failure on its retries), the pending index of a stored task's signature, which the caller cannot know
-- without reading the task first, and v2's indexes, which only a task with v2's features touches
-- (src/store/keys.ts DERIVED_KEYS says why none of these come in KEYS).

-- When a running task expires, in ms since the epoch: a v2 run's lease; for a v1 run the earlier of heartbeat expiry
-- and task timeout.
local function taskDeadline(task)
  local lease = task[T_LEASE]
  if lease then return lease end
  local deadline
  local heartbeat, heartbeatTimeout = task[T_LAST_HEARTBEAT], task[T_HEARTBEAT_TIMEOUT]
  if heartbeat and heartbeatTimeout then deadline = heartbeat + tonumber(heartbeatTimeout) * 1000 end
  local start, taskTimeout = task[T_START_TIME], task[T_TASK_TIMEOUT]
  if start and taskTimeout then
    local timeout = start + taskTimeout * 1000
    if not deadline or timeout < deadline then deadline = timeout end
  end
  return deadline
end

-- The task's member in its indexes, derived from its fields rather than stored (it would cost 27 bytes a task).
local function taskOrder(taskId, task)
  return orderKey(taskField(task, T_LAST_MODIFIED), task[T_SEQ], taskId)
end

-- The index of a status other than pending that holds the task.
local function statusIndex(root, task)
  if task[T_ARCHIVED] then return K.archivedStatus(root, task[T_STATUS]) end
  return K.status(root, task[T_STATUS])
end

-- Calls visit(kind, route) for each claim index of a pending, released task with v2's routes (stored as a JSON
-- array): kind "default" for its signature's index (its routes include `default`), "route" for another route's
-- index, and "routed" once for `pending-routed` when its routes leave out `default`.
local function forEachRouteIndex(routesJson, visit)
  local hasDefault = false
  for _, route in ipairs(cjson.decode(routesJson)) do
    if route == "default" then
      hasDefault = true
      visit("default")
    else
      visit("route", route)
    end
  end
  if not hasDefault then visit("routed") end
end

local function unindexTask(keys, taskId, task)
  local root, order, status = keys[ROOT_KEY], taskOrder(taskId, task), task[T_STATUS]
  if status == "pending" then
    if task[T_WAITING] then
      redis.call("ZREM", K.waiting(root), order)
    elseif task[T_ROUTES] then
      forEachRouteIndex(task[T_ROUTES], function(kind, route)
        if kind == "default" then redis.call("ZREM", K.signature(root, task[T_SIG]), order)
        elseif kind == "route" then redis.call("ZREM", K.routeIndex(root, route), order)
        else redis.call("ZREM", K.routed(root), order) end
      end)
    else
      redis.call("ZREM", K.signature(root, task[T_SIG]), order)
    end
    return
  end
  redis.call("ZREM", statusIndex(root, task), order)
  if status == "running" and taskDeadline(task) then
    -- Only a running task with a deadline is in the deadline index (see indexTask).
    redis.call("ZREM", keys[DEADLINES_KEY], taskId)
  end
end

-- A pending task's entries: the index of its signature, and the signature in the set of signatures (which is how
-- a fetch that requires no exact key set, a listing and a purge find every pending index). Shared by indexTask and
-- submitTasks, which has only these keys.
local function indexPending(signatureKey, signaturesKey, score, order, sig)
  redis.call("ZADD", signatureKey, score, order)
  redis.call("SADD", signaturesKey, sig)
end

-- `signatureKey`: the pending index of the task's signature when the caller declared it (the one an update sets);
-- nil to derive it from the stored signature.
local function indexTask(keys, taskId, task, signatureKey)
  local root = keys[ROOT_KEY]
  local score, order, status = -task[T_PRIORITY], taskOrder(taskId, task), task[T_STATUS]
  if status == "pending" then
    local sig = task[T_SIG]
    if task[T_WAITING] then
      redis.call("ZADD", K.waiting(root), score, order)
    elseif task[T_ROUTES] then
      forEachRouteIndex(task[T_ROUTES], function(kind, route)
        if kind == "default" then
          indexPending(signatureKey or K.signature(root, sig), keys[SIGNATURES_KEY], score, order, sig)
        elseif kind == "route" then
          redis.call("ZADD", K.routeIndex(root, route), score, order)
          redis.call("SADD", K.routes(root), route)
        else
          redis.call("ZADD", K.routed(root), score, order)
        end
      end)
    else
      indexPending(signatureKey or K.signature(root, sig), keys[SIGNATURES_KEY], score, order, sig)
    end
    return
  end
  redis.call("ZADD", statusIndex(root, task), score, order)
  if status == "running" then
    local deadline = taskDeadline(task)
    if deadline then redis.call("ZADD", keys[DEADLINES_KEY], deadline, taskId) end
  end
end

-- Counts the changes to a queue's tasks that write no event; with the event sequence it tells a cached listing
-- whether any task changed (src/broker/listing.ts). Writes that append an event need not call it.
local function touchTasks(queueKey)
  redis.call("HINCRBY", queueKey, "tasks_rev", 1)
end

-- Dependencies (labtasker v2 2.7): direct, on tasks of the same queue, by id; missing ids and cycles are accepted and
-- simply never met. A pending task with one that has not succeeded waits in `waiting`, out of every claim index, so
-- a claim never looks at it; it is registered in `dependents` under each such dependency, which is flagged
-- (T_DEPENDED) when it exists, and the success of the dependency releases it (releaseDependents). Keeping waiting tasks
-- out of the claim indexes keeps a claim O(log N) however many wait.

-- The dependencies of a task (stored ids) that have not succeeded.
local function unmetDependencies(keys, task)
  local unmet = {}
  for _, id in ipairs(cjson.decode(task[T_DEPENDENCIES])) do
    local storedId = storedTaskId(id)
    local dependency = readTask(keys[TASKS_KEY], storedId)
    if not dependency or dependency[T_STATUS] ~= "success" then unmet[#unmet + 1] = storedId end
  end
  return unmet
end

-- The dependents registered under `dependencyId` (stored ids) as this call sees them: `list` in order, `set` for a
-- membership test, read once per call and kept on `keys` (the call's own KEYS table: nothing outlives the call, which
-- matters in a Functions library, whose locals persist). A dependency with 100k dependents would otherwise cost an
-- unpack, a scan and a pack of its whole list for each one registered: quadratic.
local function dependentsEntry(keys, dependencyId)
  local cache = keys.dependentsCache
  if not cache then
    cache = {}
    keys.dependentsCache = cache
  end
  local entry = cache[dependencyId]
  if not entry then
    local packed = redis.call("HGET", K.dependents(keys[ROOT_KEY]), dependencyId)
    local list, set = packed and cmsgpack.unpack(packed) or {}, {}
    for _, id in ipairs(list) do set[id] = true end
    entry = { list = list, set = set }
    cache[dependencyId] = entry
  end
  return entry
end

-- Writes the registrations a script deferred (`keys.deferDependents`, set by a script that registers many tasks at
-- once: the submit script): one pack and write per dependency, not one per dependent.
local function flushDependents(keys)
  if not keys.dependentsCache then return end
  local dependentsKey = K.dependents(keys[ROOT_KEY])
  for dependencyId, entry in pairs(keys.dependentsCache) do
    if entry.dirty then
      redis.call("HSET", dependentsKey, dependencyId, cmsgpack.pack(entry.list))
      entry.dirty = nil
    end
  end
end

-- Registers the waiting task `taskId` under each of `unmet` (stored ids), once, and flags those that exist.
local function registerDependent(keys, taskId, unmet)
  local dependentsKey = K.dependents(keys[ROOT_KEY])
  for _, dependencyId in ipairs(unmet) do
    local entry = dependentsEntry(keys, dependencyId)
    if not entry.set[taskId] then
      entry.set[taskId] = true
      entry.list[#entry.list + 1] = taskId
      if keys.deferDependents then
        entry.dirty = true
      else
        redis.call("HSET", dependentsKey, dependencyId, cmsgpack.pack(entry.list))
      end
      local dependency = readTask(keys[TASKS_KEY], dependencyId)
      if dependency and not dependency[T_DEPENDED] then
        dependency[T_DEPENDED] = 1
        storeTask(keys[TASKS_KEY], dependencyId, dependency)
      end
    end
  end
end

-- Whether the pending task (its fields as they will be stored) waits for a dependency: registers it when it does.
local function checkDependencies(keys, taskId, task)
  if not task[T_DEPENDENCIES] then return false end
  local unmet = unmetDependencies(keys, task)
  if #unmet == 0 then return false end
  registerDependent(keys, taskId, unmet)
  return true
end

-- The task `taskId` has just succeeded: each waiting task registered under it whose dependencies have all succeeded
-- goes from `waiting` to its claim indexes, keeping its place in the order (it was pending all along).
local function releaseDependents(keys, taskId)
  local dependents = dependentsEntry(keys, taskId).list
  if #dependents == 0 then return end
  redis.call("HDEL", K.dependents(keys[ROOT_KEY]), taskId)
  keys.dependentsCache[taskId] = nil
  for _, dependentId in ipairs(dependents) do
    local dependent = readTask(keys[TASKS_KEY], dependentId)
    if dependent and dependent[T_WAITING] and dependent[T_STATUS] == "pending" then
      local unmet = unmetDependencies(keys, dependent)
      if #unmet == 0 then
        unindexTask(keys, dependentId, dependent)
        dependent[T_WAITING] = nil
        storeTask(keys[TASKS_KEY], dependentId, dependent)
        indexTask(keys, dependentId, dependent)
      else
        -- Still waiting: make sure it is registered under what it waits for (a dependency may have left success).
        registerDependent(keys, dependentId, unmet)
      end
    end
  end
end

-- How a v2 run ends when a transition other than v2's own report ends it, by the status it leaves the task in (v2's
-- action names, which a later report of that run is told in `run_finalized`).
local RUN_END_BY_STATUS = { success = "complete", failed = "fail", pending = "fail", cancelled = "cancel" }

local FINISHED = { success = true, failed = true, cancelled = true }

-- The final ends (a failure for good, a cancellation) that cancel the dependents waiting for a task, and that
-- bring them back when the task leaves them (docs/tasks.md, "Dependencies").
local ENDED_FOR_GOOD = { failed = true, cancelled = true }

-- Set below writeTask, which it calls: settles the dependents of a task after its final end or its return.
local settleDependents

-- Applies `changes` (code -> value, or false to remove the field) to the stored task `taskId` and re-indexes it;
-- returns the packed task for its event. `signatureKey` as for indexTask; `settling`: the worklist of the
-- settleDependents call that makes this write (nil for any other caller).
-- Every change sets last_modified, so the task moves in its indexes; `rev` counts writes for optimistic updates.
-- The rules every transition shares, whichever protocol makes it, are kept here: a run that ends gets its end time
-- (and a v2 run how it ended, its lease dropped); only a finished task stays archived; a task that (re-)enters
-- pending, or whose dependencies change, is checked against its dependencies; a success releases its dependents.
local function writeTask(keys, taskId, task, changes, signatureKey, settling)
  unindexTask(keys, taskId, task)
  local previousWorker, old, modified = task[T_WORKER_ID], task[T_STATUS], taskField(task, T_LAST_MODIFIED)
  for code, value in pairs(changes) do
    if value == false then task[code] = nil else task[code] = value end
  end
  local new = task[T_STATUS]
  -- finished_at, the end of the latest run, is stored only where it is not a finished task's last_modified (its
  -- usual value: a run that ends in success, failure or cancellation ends with the write that finishes the task), so
  -- v1's report of a success writes nothing more than before: 0 stands for none (a task cancelled before it ran).
  if old == "running" and new ~= "running" then
    task[T_FINISHED_AT] = not FINISHED[new] and task[T_LAST_MODIFIED] or nil
  elseif FINISHED[old] then
    if task[T_FINISHED_AT] == nil then task[T_FINISHED_AT] = modified end
  elseif FINISHED[new] and task[T_FINISHED_AT] == nil then
    task[T_FINISHED_AT] = 0
  end
  if old == "running" and new ~= "running" then
    -- The run ends. A v2 run's id and ending are kept for its late reports (and a claim replay's check), the id it
    -- replaces leaving `runs`; a v1 run's id is not stored (lua/includes/claim.lua).
    if task[T_LEASE] then
      task[T_LEASE] = nil
      local ended = task[T_ENDED_RUN]
      if ended then redis.call("HDEL", K.runs(keys[ROOT_KEY]), ended) end
      task[T_ENDED_RUN] = task[T_RUN_ID]
      if changes[T_RUN_END] == nil then task[T_RUN_END] = RUN_END_BY_STATUS[new] end
    end
    task[T_RUN_ID] = nil
  end
  if task[T_ARCHIVED] and (new == "pending" or new == "running") then task[T_ARCHIVED] = nil end
  if new == "pending" and task[T_DEPENDENCIES] and (old ~= "pending" or changes[T_DEPENDENCIES] ~= nil) then
    task[T_WAITING] = checkDependencies(keys, taskId, task) and 1 or nil
  elseif task[T_WAITING] and (new ~= "pending" or not task[T_DEPENDENCIES]) then
    task[T_WAITING] = nil
  end
  if task[T_BLOCKED_BY] and new ~= "cancelled" then task[T_BLOCKED_BY] = nil end
  local depended = task[T_DEPENDED]
  local releasing = depended and new == "success" and old ~= "success"
  if releasing then task[T_DEPENDED] = nil end
  task[T_REV] = taskField(task, T_REV) + 1
  local packed = storeTask(keys[TASKS_KEY], taskId, task)
  local worker = task[T_WORKER_ID]
  if previousWorker ~= worker then
    if previousWorker then redis.call("SREM", workerTasksKey(keys, previousWorker), taskId) end
    if worker then redis.call("SADD", workerTasksKey(keys, worker), taskId) end
  end
  indexTask(keys, taskId, task, signatureKey)
  -- After the store: the dependents' check reads this task's new status. Those it cancelled come back first, so
  -- that a success releases them too.
  local now = taskField(task, T_LAST_MODIFIED)
  if depended and ENDED_FOR_GOOD[old] and not ENDED_FOR_GOOD[new] then settleDependents(keys, taskId, "restore", now, settling) end
  if releasing then releaseDependents(keys, taskId) end
  if depended and ENDED_FOR_GOOD[new] and not ENDED_FOR_GOOD[old] then settleDependents(keys, taskId, "cancel", now, settling) end
  return packed
end

-- Whether a waiting task follows our rule for a dependency's final end (cancelled with blocked_by): every task but
-- one created by labtasker v2's create-by-id, whose dependents stay pending as v2 keeps them (a v1 submit's client
-- id fingerprint starts with "v1:", src/broker/identity.ts).
local function cancelsWithDependency(task)
  local creation = task[T_CREATION]
  return not creation or string.sub(creation, 1, 3) == "v1:"
end

-- The dependency's final end cancels each dependent still waiting (blocked_by: its id), or its return brings back
-- each dependent it cancelled (pending again, so waiting again until it succeeds); each such write publishes its
-- event, and the dependents' own dependents follow, transitively, in this script, at the time (`now`, ms) of the write
-- that started it. A worklist, not recursion: the writes it makes pass it on (writeTask's `settling`), so that theirs
-- queue their dependency here, and the outermost call works through them all. No state outside the call.
settleDependents = function(keys, taskId, action, now, settling)
  if settling then
    settling[#settling + 1] = { taskId, action }
    return
  end
  local worklist, i = { { taskId, action } }, 1
  while i <= #worklist do
    local dependencyId, act = worklist[i][1], worklist[i][2]
    local dependents = dependentsEntry(keys, dependencyId).list
    local blocker = #dependents > 0 and textTaskId(dependencyId)
    for n = 1, #dependents do
      local dependentId = dependents[n]
      local dependent = readTask(keys[TASKS_KEY], dependentId)
      if dependent and act == "cancel" and dependent[T_STATUS] == "pending" and dependent[T_WAITING]
          and cancelsWithDependency(dependent) then
        local written = writeTask(keys, dependentId, dependent,
          { [T_STATUS] = "cancelled", [T_LAST_MODIFIED] = now, [T_BLOCKED_BY] = blocker }, nil, worklist)
        appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", dependentId, "pending", "cancelled", written)
      elseif dependent and act == "restore" and dependent[T_STATUS] == "cancelled" and dependent[T_BLOCKED_BY] == blocker then
        local written = writeTask(keys, dependentId, dependent, { [T_STATUS] = "pending", [T_LAST_MODIFIED] = now }, nil, worklist)
        appendEvent(keys[QUEUE_KEY], keys[EVENTS_KEY], now, "task", dependentId, "cancelled", "pending", written)
      end
    end
    i = i + 1
  end
end

-- Removes a stored task and every entry that points at it: its indexes, its worker's task set, its run's entry.
-- Waiting tasks that depend on it stay registered under its id, so a task created again with that id releases them.
local function deleteStoredTask(keys, taskId, task)
  unindexTask(keys, taskId, task)
  local workerId = task[T_WORKER_ID]
  if workerId then redis.call("SREM", workerTasksKey(keys, workerId), taskId) end
  -- The runs of v2's claims it holds in `runs`: the one that holds it (with a lease), the latest that ended.
  if task[T_LEASE] then redis.call("HDEL", K.runs(keys[ROOT_KEY]), task[T_RUN_ID]) end
  if task[T_ENDED_RUN] then redis.call("HDEL", K.runs(keys[ROOT_KEY]), task[T_ENDED_RUN]) end
  -- Its dedup identity, so that the same task may be submitted again (unless it now names another task).
  local identity = task[T_IDENTITY]
  if identity then
    local identitiesKey = K.identities(keys[ROOT_KEY])
    local registered = redis.call("HGET", identitiesKey, identity)
    if registered and storedTaskId(registered) == taskId then redis.call("HDEL", identitiesKey, identity) end
  end
  redis.call("HDEL", keys[TASKS_KEY], taskId)
end

-- Whether a v1 fetch may claim the stored task: pending, released from its dependencies, on the route `default`.
local function claimableByV1(task)
  if task[T_STATUS] ~= "pending" or task[T_WAITING] then return false end
  local routes = task[T_ROUTES]
  if not routes then return true end
  for _, route in ipairs(cjson.decode(routes)) do
    if route == "default" then return true end
  end
  return false
end
