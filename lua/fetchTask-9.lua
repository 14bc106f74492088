--[[
  fetchTask: claim the best pending task for a worker (contract 4), in one atomic step.

  Atomic because two workers must never claim the same task: expiring overdue tasks, checking the worker,
  choosing the candidate and claiming it happen with no other command in between.
  Candidates come from the head of the pending index of the signature whose top-level arg keys equal the required
  fields' roots, or, when the fetch requires no exact key set, from the heads of every signature's index, merged
  (lua/includes/scan.lua); so the work is O(log N) in the number of pending tasks when the head matches (times the
  number of signatures for a merge). Deeper "no more, no less" checks run on at most ARGV[5] candidates; past that
  the script returns SCAN_MORE and the caller continues from the cursor, so Redis is never blocked by a long scan.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS); then the
  fetching worker's, and the index to fetch from.
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
    pending-by-args:<sig>   the index of the claimed task's stored signature, and of a retried overdue task's; for
                            a fetch with the root as KEYS[9], every signature's index (a member of KEYS[5])
    worker:<worker_id>, worker-tasks:<worker_id>   the worker an overdue task names, unless it is ARGV[2]'s
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now               ms since the epoch, integer
  ARGV[2] workerId          worker id, "" for none
  ARGV[3] requiredSpec      JSON (see includes/required.lua), "" for no constraint
  ARGV[4] scanCursor        where to start: "" for the heads, else the cursor of the SCAN_MORE before
  ARGV[5] scanLimit         candidates to examine at most, integer
  ARGV[6] expireLimit       overdue running tasks to expire first at most, integer
  ARGV[7] startHeartbeat    "1" or "0"
  ARGV[8] heartbeatTimeout  seconds as JSON number text, "" to keep the task's
  ARGV[9] taskTimeout       seconds as JSON number text, "" to keep the task's
  ARGV[10] cmd              JSON text of the worker's command (may be "null")

  Returns {OK, taskId, packed task} when a task was claimed (the task as stored, see includes/tasks.lua);
  {OK} when none matches; {SCAN_MORE, cursor}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}; {WORKER_NOT_FOUND};
  {WORKER_NOT_ACTIVE, status}.
  Events: those of expired tasks (see includes/expire.lua), then task pending -> running.
]]
--@include generated
--@include queue
--@include fetch

KEYS.workerId = ARGV[2]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
return fetchNext(KEYS, KEYS[9], ARGV[1], fetchFromArgv(ARGV))
