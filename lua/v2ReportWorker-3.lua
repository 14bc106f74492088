--[[
  v2ReportWorker: record what a labtasker v2 worker says of itself (PUT .../workers/{worker_id}), for 300 s from now.

  Atomic so an observation's record and its expiry agree, and its route is checked against the stored one: a
  worker keeps its first report's route (a report after a delete or an expiry starts afresh).

  KEYS[1] queue              labtasker:{<queue_id>}:queue                HASH (read: the queue must exist)
  KEYS[2] observations       labtasker:{<queue_id>}:observations         HASH worker id -> packed observation
  KEYS[3] observationExpiry  labtasker:{<queue_id>}:observation-expiry   ZSET worker id -> expiry ms

  ARGV[1] now       ms since the epoch, integer
  ARGV[2] ttlMs     how long the observation lasts, ms
  ARGV[3] workerId  w_ + 12
  ARGV[4] route
  ARGV[5] status    idle | busy
  ARGV[6] taskId    the task it runs, "" for none
  ARGV[7] metadata  JSON object text

  Returns {OK}; {WORKER_ROUTE_CONFLICT}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (observations are not v1 workers, whose transitions the stream records).
]]
--@include generated
--@include observations

local refused = refuseObservedQueue(KEYS[1])
if refused then return refused end
pruneObservations(KEYS[2], KEYS[3], ARGV[1])
local now, workerId = tonumber(ARGV[1]), ARGV[3]
local observation = readObservation(KEYS[2], workerId) or { route = ARGV[4] }
if observation.route ~= ARGV[4] then return { E.WORKER_ROUTE_CONFLICT } end
local expires = now + tonumber(ARGV[2])
observation.status, observation.metadata = ARGV[5], ARGV[7]
observation.task_id = ARGV[6] ~= "" and ARGV[6] or nil
observation.last_seen_at, observation.expires_at = tostring(now), tostring(expires)
redis.call("HSET", KEYS[2], workerId, cmsgpack.pack(observation))
redis.call("ZADD", KEYS[3], expires, workerId)
return { E.OK }
