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

  Returns {OK, taskId, field, value, ...} when a task was claimed; {OK} when none matches;
  {SCAN_MORE, nextOffset}; {QUEUE_NOT_FOUND}; {WORKER_NOT_FOUND}; {WORKER_NOT_ACTIVE, status}.
  Events: those of expired tasks (see includes/expire.lua), then task pending -> running.
]]
--@include generated
--@include hash
--@include order
--@include expire
--@include required
--@include claim

local root, queueKey, candidates, workerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, workerId = ARGV[1], ARGV[2]

if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
expireDueTasks(root, queueKey, now, tonumber(ARGV[6]))
local refusal = refuseWorker(workerKey, workerId)
if refusal then return refusal end

local spec = decodeRequiredSpec(ARGV[3])
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local members = redis.call("ZRANGE", candidates, offset, offset + limit - 1)
for _, member in ipairs(members) do
  local taskId = taskIdOfMember(member)
  local taskKey = K.task(root, taskId)
  if spec == nil or argsSatisfy(spec, redis.call("HGET", taskKey, "args")) then
    local task = claimTask(root, queueKey, taskId, readHash(taskKey), {
      now = now, workerId = workerId, startHeartbeat = ARGV[7],
      heartbeatTimeout = ARGV[8], taskTimeout = ARGV[9], cmd = ARGV[10],
    })
    local reply = { E.OK, taskId }
    for _, item in ipairs(flattenRecord(task)) do reply[#reply + 1] = item end
    return reply
  end
end
if #members == limit then return { E.SCAN_MORE, offset + limit } end
return { E.OK }
