--[[
  v2UpdateTasks: replace fields of every task a labtasker v2 selection matched (PATCH .../tasks), all of them or none.

  The broker evaluates the selection (a filter, in Node) over the tasks as it read them, then sends their ids with
  the revision it read; a task changed since (its revision moved) may no longer match, so the batch is refused whole
  (CONFLICT) and the broker evaluates again. Atomic so the batch is all-or-nothing: one refusal (an unfinished task
  to archive) refuses every write. Only the tasks whose fields change are written.

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

  ARGV[1] now      ms since the epoch, integer
  ARGV[2] count    tasks matched, integer
  then per task: taskId (text: lua/includes/ids.lua), revision read, "1" to write it (its fields change) or "0"
  then field code (src/store/taskRecord.ts), value pairs to set on each written task, as v2UpdateTask's

  Returns {OK, written}; {CONFLICT}; {UPDATE_CONFLICT, field, status or attempt, position of the task refused};
  {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (no status changes; the listing's count of writes is bumped).
]]
--@include generated
--@include queue
--@include tasks
--@include ids

-- v2's refusals of an update of `task` to `changes` (codes of src/store/taskRecord.ts -> new values): nil when allowed.
local function refuseUpdate(task, changes)
  local status = task[T_STATUS]
  if status == "running" then return { E.TASK_RUNNING } end
  if changes[T_ARCHIVED] and status ~= "success" and status ~= "failed" and status ~= "cancelled" then
    return { E.UPDATE_CONFLICT, "archived", status }
  end
  if status == "pending" then
    local maxRetries = changes[T_MAX_RETRIES]
    if maxRetries == false then maxRetries = TASK_ABSENT[T_MAX_RETRIES] end
    if maxRetries ~= nil and maxRetries <= taskField(task, T_ATTEMPT) then
      return { E.UPDATE_CONFLICT, "max_attempts", taskField(task, T_ATTEMPT) }
    end
  end
  return nil
end

local now, count = ARGV[1], tonumber(ARGV[2])
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local fieldsAt = 3 + 3 * count
local tasks = {}
for i = 1, count do
  local at = 3 + 3 * (i - 1)
  local taskId = storedTaskId(ARGV[at])
  local task = readTask(KEYS[TASKS_KEY], taskId)
  if not task or tostring(taskField(task, T_REV)) ~= ARGV[at + 1] then return { E.CONFLICT } end
  local refusal = refuseUpdate(task, changesFromArgv(ARGV, fieldsAt, #ARGV, now))
  if refusal then
    refusal[#refusal + 1] = i
    return refusal
  end
  tasks[i] = { taskId = taskId, task = task, write = ARGV[at + 2] == "1" }
end
local written = 0
for _, entry in ipairs(tasks) do
  if entry.write then
    -- Each write takes its own changes: writeTask keeps the table it is given.
    writeTask(KEYS, entry.taskId, entry.task, changesFromArgv(ARGV, fieldsAt, #ARGV, now))
    written = written + 1
  end
end
if written > 0 then touchTasks(KEYS[QUEUE_KEY]) end
return { E.OK, written }
