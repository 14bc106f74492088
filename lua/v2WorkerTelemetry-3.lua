--[[
  v2WorkerTelemetry: keep the latest telemetry of a labtasker v2 worker (POST .../workers/{worker_id}/telemetry).

  Atomic so telemetry is only written to an observation that has not expired. It does not extend the observation.

  KEYS[1] queue              labtasker:{<queue_id>}:queue                HASH (read: the queue must exist)
  KEYS[2] observations       labtasker:{<queue_id>}:observations         HASH worker id -> packed observation
  KEYS[3] observationExpiry  labtasker:{<queue_id>}:observation-expiry   ZSET worker id -> expiry ms

  ARGV[1] now        ms since the epoch, integer
  ARGV[2] workerId   w_ + 12
  ARGV[3] telemetry  JSON object text

  Returns {OK}; {WORKER_NOT_FOUND} (none, or expired); {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (observations are not v1 workers, whose transitions the stream records).
]]
--@include generated
--@include observations

local refused = refuseObservedQueue(KEYS[1])
if refused then return refused end
pruneObservations(KEYS[2], KEYS[3], ARGV[1])
local observation = readObservation(KEYS[2], ARGV[2])
if not observation then return { E.WORKER_NOT_FOUND } end
observation.telemetry, observation.telemetry_updated_at = ARGV[3], ARGV[1]
redis.call("HSET", KEYS[2], ARGV[2], cmsgpack.pack(observation))
return { E.OK }
