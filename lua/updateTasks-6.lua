--[[
  updateTasks: write a batch of task updates computed by the broker, all of them or none (contract 6.1, 3.7; the
  batch form of updateTask).

  The broker reads the tasks, computes each update's new field values in TypeScript (so user JSON keeps its exact
  numbers), and sends the batch here with the revision of each task it read. Every update is checked first: the task
  exists, is unchanged since read, and may make its status change. Only when all pass is anything written, so a
  request of updates, or a bulk update interrupted anywhere, leaves each batch wholly applied or not at all (v1
  writes the good updates of a failing request and keeps them). The broker sends at most 1,000 updates a call.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task

  Derived from KEYS[1], because a batch holds a thousand tasks (passing each key costs Redis a parse, a copy into
  Lua and a free; see submitTasks) and the other names depend on the stored task, read inside the script:
    status:<status>            the index of the status a task leaves (its stored one) and of the one it enters
    pending-by-args:<sig>      the index of a task's stored signature, and of the one an update sets (sig in ARGV)
    worker-tasks:<worker_id>   the task set of the worker a task names, when the task goes back to pending
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now           ms since the epoch, integer
  ARGV[2] resetPending  "1": each task's status := pending, retries := 0, worker_id := null (v1 reset()); "0": no reset
  ARGV[3] commit        "1": write when every update passes; "0": check only, write nothing
  ARGV[4] count         number of updates
  then per update, in order: taskId (text: lua/includes/ids.lua), the revision the broker read, n, and n field code
  (src/store/taskRecord.ts), value pairs to set (an empty value removes the field: null). Fields: status, task_name, heartbeat_timeout, task_timeout, max_retries, retries,
  priority, metadata, args, cmd, summary, sig. An update of a task named earlier in the batch applies on top of it.

  Returns {QUEUE_NOT_FOUND}, {QUEUE_LAYOUT, layout}, or {OK, reply_1, ..., reply_count}, one reply per update as updateTask's: {OK, packed
  task} when written, {OK} when it would be, or {TASK_NOT_FOUND}, {CONFLICT}, {INVALID_TRANSITION, from, to}. The
  batch is written only when every reply is OK and commit is "1".
  Events: per update as updateTask's; with reset, task X -> pending; without, old -> new when the status changed.
]]
--@include generated
--@include queue
--@include fsm
--@include tasks
--@include documents
--@include events
--@include ids

local now, resetPending, commit, count = ARGV[1], ARGV[2] == "1", ARGV[3] == "1", tonumber(ARGV[4])

local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end

-- Check every update. tasks: each id's stored task (false for none), left as read until written; statuses: each
-- id's status as the batch's earlier updates leave it.
local reply, updates, tasks, statuses, anyRefusal = { E.OK }, {}, {}, {}, false
local at = 5
for i = 1, count do
  local taskId, expectedRev, fieldCount = storedTaskId(ARGV[at]), ARGV[at + 1], tonumber(ARGV[at + 2])
  local changes = changesFromArgv(ARGV, at + 3, at + 1 + 2 * fieldCount, now)
  at = at + 3 + 2 * fieldCount

  if tasks[taskId] == nil then
    tasks[taskId] = readTask(KEYS[TASKS_KEY], taskId) or false
    if tasks[taskId] then statuses[taskId] = tasks[taskId][T_STATUS] end
  end
  local task, refusal = tasks[taskId], nil
  if not task then
    refusal = { E.TASK_NOT_FOUND }
  elseif tostring(taskField(task, T_REV)) ~= expectedRev then
    refusal = { E.CONFLICT }
  else
    local old = statuses[taskId]
    local new = changes[T_STATUS] or old
    if resetPending then
      new = "pending"
      changes[T_STATUS], changes[T_RETRIES], changes[T_WORKER_ID], changes[T_ATTEMPT] = "pending", false, false, false
      changes[T_TIMEOUTS] = false -- a reset starts the task's budget of timeouts again, as its retries
    elseif new ~= old and not canTransitionTask(old, new) then
      refusal = { E.INVALID_TRANSITION, old, new }
    end
    if new == "pending" then changes[T_WORKER_ID] = false end
    if not refusal then
      statuses[taskId] = new
      updates[i] = { taskId = taskId, changes = changes, old = old, new = new }
    end
  end
  if refusal then anyRefusal = true end
  reply[i + 1] = refusal or { E.OK }
end
if anyRefusal or not commit then return reply end

local touched = false
for i = 1, count do
  local update = updates[i]
  local taskId = update.taskId
  local packed = writeTask(KEYS, taskId, tasks[taskId], update.changes)
  if resetPending or update.new ~= update.old then
    appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, update.old, update.new, packed)
  else
    touched = true
  end
  reply[i + 1] = { E.OK, packed }
end
-- One count for the batch's writes without an event: it only has to change when any task does.
if touched then touchTasks(KEYS[QUEUE_KEY]) end
return reply
