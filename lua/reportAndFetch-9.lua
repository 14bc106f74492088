--[[
  reportAndFetch: report a task's outcome, then fetch the next task for the same worker, in one call.

  An extension for our own loops (v1's protocol needs two requests per task): a worker that finished a task asks for
  the next one in the same round trip, as a BullMQ worker's moveToFinished does. Atomic as a whole: if the report is
  refused (fenced, invalid transition) nothing is fetched, and the error comes back as from reportTask.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS); then the
  worker's, and the index to fetch from.
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] worker        labtasker:{<queue_id>}:worker:<worker_id>        HASH of ARGV[2]'s worker (the root for none)
  KEYS[8] workerTasks   labtasker:{<queue_id>}:worker-tasks:<worker_id>  SET of ARGV[2]'s worker (the root for none)
  KEYS[9] candidates    labtasker:{<queue_id>}:pending-by-args:<sig>     ZSET (the root to read every signature's)

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    status:<status>         the index of the status a task leaves (its stored one) and of the one it enters (for a
                            failure, set by its stored retries); why not all four in KEYS: keys.ts DERIVED_KEYS
    pending-by-args:<sig>   the index of a task's stored signature: the claimed task's, the reported task's when it
                            leaves or re-enters pending, a retried overdue task's; when KEYS[9] is the root, every
                            signature's index (its sig is a member of KEYS[5])
    worker:<worker_id>, worker-tasks:<worker_id>   the worker a task names (the reported task's, an overdue task's),
                            unless it is ARGV[2]'s; the caller cannot know whom a task names without reading it
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1..10] as fetchTask: now, workerId, requiredSpec, scanCursor, scanLimit, expireLimit, startHeartbeat,
              heartbeatTimeout, taskTimeout, cmd
  ARGV[11..] as reportTask from its ARGV[2]: taskId, status (timed_out included), workerId fence ("" for none), summaryMode,
              expectedRev, then the summary (merge pairs, or the replacement JSON text)

  Returns the fetch's reply (see fetchTask) after a successful report; the report's error reply otherwise.
  Events: the report's (see reportTask), then the fetch's (see fetchTask).
]]
--@include generated
--@include queue
--@include report
--@include fetch

KEYS.workerId = ARGV[2]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
refused = applyReport(KEYS, ARGV[1], reportFromArgv(ARGV, 11))
if refused then return refused end
return fetchNext(KEYS, KEYS[9], ARGV[1], fetchFromArgv(ARGV))
