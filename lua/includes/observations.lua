--@include generated
-- labtasker v2's worker observations (what a v2 worker says of itself, src/broker/v2/workers.ts): one field of the
-- queue's `observations` HASH each, its id -> a MessagePack map of name -> string (route, status, task_id, metadata
-- and telemetry as JSON text, times in ms), and its expiry in the `observation-expiry` ZSET. Redis 7.0 has no TTL per
-- hash field, so expired observations are dropped by whichever script reads or writes them next.

-- Drops the observations expired at `now`.
local function pruneObservations(observationsKey, expiryKey, now)
  local expired = redis.call("ZRANGEBYSCORE", expiryKey, "-inf", now)
  if #expired == 0 then return end
  redis.call("HDEL", observationsKey, unpack(expired))
  redis.call("ZREMRANGEBYSCORE", expiryKey, "-inf", now)
end

local function readObservation(observationsKey, workerId)
  local packed = redis.call("HGET", observationsKey, workerId)
  if not packed then return nil end
  return cmsgpack.unpack(packed)
end

-- Whether the queue (its HASH) exists in this layout: nil when it does, else the refusal.
local function refuseObservedQueue(queueKey)
  local layout = redis.call("HGET", queueKey, "layout")
  if layout == STORE_LAYOUT then return nil end
  if layout or redis.call("EXISTS", queueKey) == 1 then return { E.QUEUE_LAYOUT, layout or "1" } end
  return { E.QUEUE_NOT_FOUND }
end
