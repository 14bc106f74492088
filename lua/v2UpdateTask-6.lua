--[[
  v2UpdateTask: replace fields of one task for labtasker v2 (PATCH .../tasks/{task_id}).

  The broker computes each field's new value (a whole replacement, JSON text as received) and sends only what
  changes; the refusals that depend on the stored state are checked here, with the write, in one step: a running task
  is not updated, only a finished task is archived, a pending task keeps an attempt to run. New routes or
  dependencies move the task between its claim indexes and the waiting set.

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
  ARGV[3..] field code (src/store/taskRecord.ts), value pairs to set; an empty value removes the field. Fields:
            task_name, args, sig, metadata, priority, max_retries, routes, dependencies, summary, archived

  Returns {OK, packed task}; {TASK_NOT_FOUND}; {TASK_RUNNING}; {UPDATE_CONFLICT, field, status or attempt};
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

local now, taskId = ARGV[1], storedTaskId(ARGV[2])
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task = readTask(KEYS[TASKS_KEY], taskId)
if not task then return { E.TASK_NOT_FOUND } end
local changes = changesFromArgv(ARGV, 3, #ARGV, now)
local refusal = refuseUpdate(task, changes)
if refusal then return refusal end
local packed = writeTask(KEYS, taskId, task, changes)
touchTasks(KEYS[QUEUE_KEY])
return { E.OK, packed }
