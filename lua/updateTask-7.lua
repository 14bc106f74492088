--[[
  updateTask: write a task update computed by the broker (contract 6.1, 3.7), if the task is unchanged since read.

  Merging user JSON must keep numbers exact, so the broker reads the task, computes the new field values in
  TypeScript, and commits here against the revision it read (optimistic concurrency; CONFLICT means read again).
  Atomic so the status transition is validated before anything is written (v1's embedded mode writes first and
  keeps an invalid state), and the indexes and the event follow the write.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS).
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] signature     labtasker:{<queue_id>}:pending-by-args:<sig>     ZSET of the sig ARGV sets (the root for none)

  Derived from KEYS[1], because their names depend on the stored task, read inside the script (the store is
  handed the fields to write, not the task they were computed from):
    status:<status>         the index of the status the task leaves (its stored one) and of the one it enters (the
                            status ARGV sets, once the state machine allows it; why not all four in KEYS: keys.ts
                            DERIVED_KEYS)
    pending-by-args:<sig>   the index of the task's stored signature, when it leaves pending or, keeping its
                            signature, re-enters pending
    worker-tasks:<worker_id>   the task set of the worker the task names, when the task goes back to pending
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now           ms since the epoch, integer
  ARGV[2] taskId        the task's id (text: lua/includes/ids.lua)
  ARGV[3] expectedRev   the revision the broker read
  ARGV[4] resetPending  "1": then status := pending, retries := 0 (and v2's attempt, and timeouts), worker_id := null (v1 reset()); "0": no reset
  ARGV[5..] field code (src/store/taskRecord.ts), value pairs to set; an empty value removes the field (null).
            Fields: status, task_name, heartbeat_timeout, task_timeout, max_retries, retries, priority, metadata,
            args, cmd, summary, sig

  Returns {OK, taskId, packed task} (the task after the write, as fetchTask returns a claimed one);
  {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}; {TASK_NOT_FOUND}; {CONFLICT}; {INVALID_TRANSITION, from, to}.
  Events: with reset, task X -> pending (pending -> pending too); without, old -> new when the status changed.
]]
--@include generated
--@include queue
--@include fsm
--@include tasks
--@include documents
--@include events
--@include ids

local now, taskId, expectedRev, resetPending = ARGV[1], storedTaskId(ARGV[2]), ARGV[3], ARGV[4] == "1"

local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
local task = readTask(KEYS[TASKS_KEY], taskId)
if not task then return { E.TASK_NOT_FOUND } end
if tostring(taskField(task, T_REV)) ~= expectedRev then return { E.CONFLICT } end

local changes = changesFromArgv(ARGV, 5, #ARGV, now)

local old = task[T_STATUS]
local new = changes[T_STATUS] or old
if resetPending then
  new = "pending"
  changes[T_STATUS], changes[T_RETRIES], changes[T_WORKER_ID], changes[T_ATTEMPT] = "pending", false, false, false
  changes[T_TIMEOUTS] = false -- a reset starts the task's budget of timeouts again, as its retries
elseif new ~= old then
  if not canTransitionTask(old, new) then return { E.INVALID_TRANSITION, old, new } end
end
if new == "pending" then changes[T_WORKER_ID] = false end

-- The pending index of the signature this update sets, declared in KEYS[7]; nil derives the stored one's.
local signatureKey = changes[T_SIG] and KEYS[7] or nil
local packed = writeTask(KEYS, taskId, task, changes, signatureKey)
if resetPending or new ~= old then
  appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, old, new, packed)
else
  touchTasks(KEYS[QUEUE_KEY])
end
return { E.OK, taskId, packed }
