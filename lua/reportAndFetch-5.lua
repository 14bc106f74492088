--[[
  reportAndFetch: report a task's outcome, then fetch the next task for the same worker, in one call.

  An extension for our own loops (v1's protocol needs two requests per task): a worker that finished a task asks for
  the next one in the same round trip, as a BullMQ worker's moveToFinished does. Atomic as a whole: if the report is
  refused (fenced, invalid transition) nothing is fetched, and the error comes back as from reportTask.

  KEYS[1] root        labtasker:{<queue_id>}:                   queue root (prefix of every key below)
  KEYS[2] queue       labtasker:{<queue_id>}:queue              HASH
  KEYS[3] candidates  labtasker:{<queue_id>}:status:pending     ZSET (or labtasker:{<queue_id>}:pending-by-args:<sig>)
  KEYS[4] worker      labtasker:{<queue_id>}:worker:<worker_id> HASH (the root when no worker is named)
  KEYS[5] task        labtasker:{<queue_id>}:task:<task_id>     STRING (packed task), the task being reported

  ARGV[1..10] as fetchTask: now, workerId, requiredSpec, scanOffset, scanLimit, expireLimit, startHeartbeat,
              heartbeatTimeout, taskTimeout, cmd
  ARGV[11..] as reportTask from its ARGV[2]: taskId, status, workerId fence ("" for none), summaryMode,
              expectedRev, then the summary (merge pairs, or the replacement JSON text)

  Returns the fetch's reply (see fetchTask) after a successful report; the report's error reply otherwise.
  Events: the report's (see reportTask), then the fetch's (see fetchTask).
]]
--@include generated
--@include report
--@include fetch

local root, queueKey, candidates, workerKey, taskKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
local refused = applyReport(root, queueKey, taskKey, ARGV[1], reportFromArgv(ARGV, 11))
if refused then return refused end
return fetchNext(root, queueKey, candidates, ARGV[1], fetchFromArgv(ARGV, workerKey))
