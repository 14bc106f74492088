--[[
  v2ReadWorkers: read a queue's labtasker v2 worker observations, dropping those expired first.

  Atomic so no expired observation is read. It writes (the pruning), so it is not flagged no-writes.

  KEYS[1] queue              labtasker:{<queue_id>}:queue                HASH (read: the queue must exist)
  KEYS[2] observations       labtasker:{<queue_id>}:observations         HASH worker id -> packed observation
  KEYS[3] observationExpiry  labtasker:{<queue_id>}:observation-expiry   ZSET worker id -> expiry ms

  ARGV[1] now  ms since the epoch, integer

  Returns {OK, workerId, packed observation, ...}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (observations are not v1 workers, whose transitions the stream records).
]]
--@include generated
--@include observations

local refused = refuseObservedQueue(KEYS[1])
if refused then return refused end
pruneObservations(KEYS[2], KEYS[3], ARGV[1])
local reply = { E.OK }
for _, item in ipairs(redis.call("HGETALL", KEYS[2])) do reply[#reply + 1] = item end
return reply
