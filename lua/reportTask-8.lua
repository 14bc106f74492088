--[[
  reportTask: a task's outcome (contract 3.4): success, failed (retry or fail, charging the worker), cancelled;
  or "running", an extension that only merges a summary into a task that is still running.

  Atomic so the worker fence, the state machine, the worker's failure accounting, the summary merge, the indexes
  and the events agree: a stale worker whose task was reassigned cannot report over the new claim.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS); then the
  reporting worker's.
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] worker        labtasker:{<queue_id>}:worker:<worker_id>        HASH of ARGV[4]'s worker (the root for none)
  KEYS[8] workerTasks   labtasker:{<queue_id>}:worker-tasks:<worker_id>  SET of ARGV[4]'s worker (the root for none)

  Derived from KEYS[1], because their names depend on the stored task, read inside the script:
    status:<status>         the index of the status a task leaves (its stored one) and of the one it enters (for a
                            failure, set by its stored retries); why not all four in KEYS: keys.ts DERIVED_KEYS
    pending-by-args:<sig>   the index of the task's stored signature, when it leaves or re-enters pending
    worker:<worker_id>, worker-tasks:<worker_id>   the worker the task names, when the report names none (ARGV[4]
                            is ""): with a fence, the task's worker is ARGV[4]'s or the report is refused
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now           ms since the epoch, integer
  ARGV[2] taskId        the task's id (text: lua/includes/ids.lua)
  ARGV[3] status        "success" | "failed" | "timed_out" (failed by reaching its deadline) | "cancelled" | "running"
  ARGV[4] workerId      the reporting worker, "" when the report names none (no fence)
  ARGV[5] summaryMode   "keep" (null summary) | "merge" (top-level keys below) | "replace" (ARGV[7] whole)
  ARGV[6] expectedRev   for "replace": the task revision the broker merged against; "" replaces unconditionally
  ARGV[7..] for "merge": key, JSON value, key, JSON value, ...; for "replace": the summary JSON text

  Returns {OK}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}; {TASK_NOT_FOUND}; {WORKER_MISMATCH, holder or ""};
  {INVALID_TRANSITION, from, to or ""}; {CONFLICT} (replace against a changed task: read again and retry).
  Events: worker active -> active|crashed when a failure is charged, then task running -> pending|failed,
  running -> success, or X -> cancelled. failed -> failed and "running" reports write no event.
]]
--@include generated
--@include queue
--@include report

KEYS.workerId = ARGV[4]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
return applyReport(KEYS, ARGV[1], reportFromArgv(ARGV, 2)) or { E.OK }
