--[[
  fetchTask: claim the best pending task for a worker (contract 4), in one atomic step.

  Atomic because two workers must never claim the same task: expiring overdue tasks, checking the worker,
  choosing the candidate and claiming it happen with no other command in between.
  Candidates come from the head of one pending index (all pending tasks, or those whose top-level arg keys equal
  the required fields' roots), so the work is O(log N) in the number of pending tasks when the head matches.
  Deeper "no more, no less" checks run on at most ARGV[5] candidates; past that the script returns SCAN_MORE
  and the caller continues from the offset, so Redis is never blocked by a long scan.

  KEYS[1] root        labtasker:{<queue_id>}:                   queue root (prefix of every key below)
  KEYS[2] queue       labtasker:{<queue_id>}:queue              HASH
  KEYS[3] candidates  labtasker:{<queue_id>}:status:pending     ZSET (or labtasker:{<queue_id>}:pending-by-args:<sig>)
  KEYS[4] worker      labtasker:{<queue_id>}:worker:<worker_id> HASH (the root when no worker is named)

  ARGV[1] now               ms since the epoch, integer
  ARGV[2] workerId          worker id, "" for none
  ARGV[3] requiredSpec      JSON (see includes/required.lua), "" for no constraint
  ARGV[4] scanOffset        index in KEYS[3] to start from, integer
  ARGV[5] scanLimit         candidates to examine at most, integer
  ARGV[6] expireLimit       overdue running tasks to expire first at most, integer
  ARGV[7] startHeartbeat    "1" or "0"
  ARGV[8] heartbeatTimeout  seconds as JSON number text, "" to keep the task's
  ARGV[9] taskTimeout       seconds as JSON number text, "" to keep the task's
  ARGV[10] cmd              JSON text of the worker's command (may be "null")

  Returns {OK, taskId, packed task} when a task was claimed (the task as stored, see includes/tasks.lua);
  {OK} when none matches; {SCAN_MORE, nextOffset}; {QUEUE_NOT_FOUND}; {WORKER_NOT_FOUND}; {WORKER_NOT_ACTIVE, status}.
  Events: those of expired tasks (see includes/expire.lua), then task pending -> running.
]]
--@include generated
--@include fetch

local root, queueKey, candidates, workerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
return fetchNext(root, queueKey, candidates, ARGV[1], fetchFromArgv(ARGV, workerKey))
