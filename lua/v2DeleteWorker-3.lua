--[[
  v2DeleteWorker: withdraw a labtasker v2 worker's observation (DELETE .../workers/{worker_id}); idempotent.

  Atomic so the record and its expiry go together.

  KEYS[1] queue              labtasker:{<queue_id>}:queue                HASH (read: the queue must exist)
  KEYS[2] observations       labtasker:{<queue_id>}:observations         HASH worker id -> packed observation
  KEYS[3] observationExpiry  labtasker:{<queue_id>}:observation-expiry   ZSET worker id -> expiry ms

  ARGV[1] now       ms since the epoch, integer
  ARGV[2] workerId  w_ + 12

  Returns {OK}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (observations are not v1 workers, whose transitions the stream records).
]]
--@include generated
--@include observations

local refused = refuseObservedQueue(KEYS[1])
if refused then return refused end
pruneObservations(KEYS[2], KEYS[3], ARGV[1])
redis.call("HDEL", KEYS[2], ARGV[2])
redis.call("ZREM", KEYS[3], ARGV[2])
return { E.OK }
